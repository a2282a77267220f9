package com.dedw3n.platform.graphql;

import graphql.ExecutionInput;
import graphql.ParseAndValidate;
import graphql.ParseAndValidateResult;
import graphql.language.OperationDefinition;
import graphql.schema.GraphQLSchema;
import graphql.validation.ValidationError;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
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
    }
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
