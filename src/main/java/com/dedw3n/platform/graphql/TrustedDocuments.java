package com.dedw3n.platform.graphql;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import graphql.ExecutionInput;
import graphql.ParseAndValidate;
import graphql.ParseAndValidateResult;
import graphql.language.AstPrinter;
import graphql.language.AstTransformer;
import graphql.language.Document;
import graphql.language.Field;
import graphql.language.Node;
import graphql.language.NodeVisitorStub;
import graphql.language.OperationDefinition;
import graphql.parser.InvalidSyntaxException;
import graphql.parser.Parser;
import graphql.schema.GraphQLSchema;
import graphql.util.TraversalControl;
import graphql.util.TraverserContext;
import graphql.util.TreeTransformerUtil;
import graphql.validation.ValidationError;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.io.ClassPathResource;
import org.springframework.graphql.execution.GraphQlSource;
import org.springframework.stereotype.Component;

/**
 * The registered operations (the persisted query manifest the build makes from {@code api/}), each
 * validated against the schema and priced once, when the server starts: a manifest operation that
 * does not validate stops the server. A registered operation's price is its cost with every page a
 * variable sizes at the largest a page may be ({@link Page#MAX_SIZE}): what a partner's budget is
 * charged for each call, whatever its variables.
 */
@Component
public final class TrustedDocuments {

  /** One registered operation and its price in points. */
  public record Trusted(
      String id, String name, OperationDefinition.Operation kind, String body, long price) {}

  private final Map<String, Trusted> byId = new LinkedHashMap<>();

  /** The registered operations' {@link #clientForm}s. */
  private final Set<String> clientForms = new HashSet<>();

  /**
   * {@link #registers}' answers by text (bounded by its characters): in safelist mode an app's form
   * of an operation comes with every request, or is found by its hash for every request, and was
   * parsed and printed again each time.
   */
  private final Cache<String, Boolean> verdicts =
      Caffeine.newBuilder()
          .maximumWeight(1_000_000)
          .<String, Boolean>weigher((text, verdict) -> text.length())
          .build();

  private final long maxCost;

  @Autowired
  TrustedDocuments(DocumentCache documents, GraphQlSource graphQl, OperationLimits limits) {
    this(read(), documents, graphQl, limits);
  }

  TrustedDocuments(
      PersistedQueryManifest manifest,
      DocumentCache documents,
      GraphQlSource graphQl,
      OperationLimits limits) {
    this.maxCost = limits.maxCost();
    for (PersistedQueryManifest.Operation operation : manifest.operations()) {
      DocumentCache.Analysis analysis =
          documents.analyse(operation.body(), operation.name(), graphQl.schema(), limits);
      if (!(analysis instanceof DocumentCache.Valid valid)) {
        throw new IllegalStateException(
            "The persisted query manifest's operation "
                + operation.name()
                + " does not validate against the schema: "
                + why(analysis, operation.body(), graphQl.schema())
                + "; fix its file in api/ and rebuild the manifest (./mvnw process-classes)");
      }
      byId.put(
          operation.id(),
          new Trusted(
              operation.id(),
              operation.name(),
              valid.kind(),
              operation.body(),
              Math.max(1, valid.plan().price(Page.MAX_SIZE))));
      clientForms.add(clientForm(operation.body()));
    }
  }

  /**
   * Whether a document sent in full is a registered operation: its registered text, or the same
   * operation as an app's GraphQL client sends it. Apollo Client (and urql) add {@code __typename}
   * to every selection set for their caches, and print the document their own way, so the text they
   * send, and the hash Apollo's persisted-query link sends first, are never the manifest's:
   * safelist mode refused every such app's every operation.
   */
  public boolean registers(String document) {
    if (byId.containsKey(PersistedQueryManifest.sha256(document))) {
      return true;
    }
    return verdicts.get(
        document,
        text -> {
          String form = clientForm(text);
          return form != null && clientForms.contains(form);
        });
  }

  /**
   * A document as compared with the registered ones: without the {@code __typename} fields that
   * clients add (unaliased, without directives: a client cannot tell it asked for them or not, and
   * they cost nothing), printed compactly (no comments, no layout). Null when it does not parse.
   */
  static @Nullable String clientForm(String document) {
    Document parsed;
    try {
      parsed = Parser.parse(document);
    } catch (InvalidSyntaxException e) {
      return null;
    }
    Node<?> stripped =
        new AstTransformer()
            .transform(
                parsed,
                new NodeVisitorStub() {
                  @Override
                  public TraversalControl visitField(Field field, TraverserContext<Node> context) {
                    if ("__typename".equals(field.getName())
                        && field.getAlias() == null
                        && field.getDirectives().isEmpty()) {
                      return TreeTransformerUtil.deleteNode(context);
                    }
                    return TraversalControl.CONTINUE;
                  }
                });
    return AstPrinter.printAstCompact(stripped);
  }

  /** The registered operation with this id (the SHA-256 of its body), or null. */
  public @Nullable Trusted byId(String id) {
    return byId.get(id);
  }

  /**
   * Whether a partner's call of the operation can pass the cost limit: a partner pays its price
   * whatever its variables, so one priced over the limit is refused every time.
   */
  public boolean affordable(Trusted operation) {
    return operation.price() <= maxCost;
  }

  /** The cost limit the prices are held to. */
  public long maxCost() {
    return maxCost;
  }

  /** Every registered operation, in the manifest's order. */
  public Collection<Trusted> all() {
    return byId.values();
  }

  /** What is wrong with a document the cache did not take, as graphql-java words it. */
  private static String why(DocumentCache.Analysis analysis, String body, GraphQLSchema schema) {
    if (analysis instanceof DocumentCache.Refused refused) {
      return refused.message();
    }
    ParseAndValidateResult parsed =
        ParseAndValidate.parse(ExecutionInput.newExecutionInput(body).build());
    if (parsed.isFailure()) {
      return parsed.getSyntaxException().getMessage();
    }
    return ParseAndValidate.validate(schema, parsed.getDocument()).stream()
        .map(ValidationError::getMessage)
        .collect(Collectors.joining("; "));
  }

  private static PersistedQueryManifest read() {
    var resource = new ClassPathResource(PersistedQueryManifest.RESOURCE);
    if (!resource.exists()) {
      throw new IllegalStateException(
          PersistedQueryManifest.RESOURCE
              + " is missing from the classpath: the build writes it (./mvnw process-classes)");
    }
    try (InputStream json = resource.getInputStream()) {
      return PersistedQueryManifest.read(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
