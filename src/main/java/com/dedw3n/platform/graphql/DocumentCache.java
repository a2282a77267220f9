package com.dedw3n.platform.graphql;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import graphql.ExecutionInput;
import graphql.ParseAndValidate;
import graphql.ParseAndValidateResult;
import graphql.execution.preparsed.PreparsedDocumentEntry;
import graphql.execution.preparsed.PreparsedDocumentProvider;
import graphql.language.Document;
import graphql.language.OperationDefinition;
import graphql.parser.exceptions.ParseCancelledException;
import graphql.schema.GraphQLSchema;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Parsed, measured and validated documents, by their text. Clients send the same few operations
 * over and over (the apps' documents are fixed at build time), and parsing plus validating one took
 * about 5 % of the server's CPU on the W1 feed. Validation does not depend on variables, so a
 * document valid once is valid for every request that sends the same text; its shape (depth,
 * aliases...) and the priced plan of each of its operations do not depend on them either.
 *
 * <p>Only valid documents are kept, and the cache is bounded by the total length of the texts it
 * holds, so a client sending endless distinct or invalid documents cannot grow it or push the apps'
 * documents out with junk that fails anyway.
 */
public final class DocumentCache implements PreparsedDocumentProvider {

  /** What the {@link OperationGuard} learns about a request's document before it executes. */
  sealed interface Analysis {}

  /** The document exceeds a limit, or the parser's: refused with this code, nothing executes. */
  record Refused(String code, String message) implements Analysis {}

  /** Syntax or validation errors, or no such operation: graphql-java reports them as usual. */
  record Invalid() implements Analysis {}

  /**
   * A valid operation: its kind, its priced plan, whether it reads {@code _service}, and its name
   * in the document (null when unnamed), known even when the request did not send it.
   */
  record Valid(
      OperationDefinition.Operation kind,
      OperationCost.Plan plan,
      boolean readsServiceSdl,
      @Nullable String name)
      implements Analysis {}

  private static final Invalid INVALID = new Invalid();

  private final Cache<String, Entry> documents;

  DocumentCache(long maxTotalChars) {
    this.documents =
        Caffeine.newBuilder()
            .maximumWeight(maxTotalChars)
            .<String, Entry>weigher((text, entry) -> text.length())
            .build();
  }

  /** A valid document, its shape (checked once) and the plans of the operations asked for. */
  private static final class Entry {
    final PreparsedDocumentEntry parsed;

    /** By name ("" for the only one): only operations the document has, so a bounded number. */
    final Map<String, Valid> operations = new ConcurrentHashMap<>();

    volatile @Nullable Optional<Refused> shape;

    Entry(PreparsedDocumentEntry parsed) {
      this.parsed = parsed;
    }
  }

  @Override
  public CompletableFuture<PreparsedDocumentEntry> getDocumentAsync(
      ExecutionInput input, Function<ExecutionInput, PreparsedDocumentEntry> parseAndValidate) {
    String text = input.getQuery();
    Entry entry = documents.getIfPresent(text);
    if (entry != null) {
      return CompletableFuture.completedFuture(entry.parsed);
    }
    PreparsedDocumentEntry parsed = parseAndValidate.apply(input);
    if (!parsed.hasErrors()) {
      documents.put(text, new Entry(parsed));
    }
    return CompletableFuture.completedFuture(parsed);
  }

  /**
   * Parses (with the parser's own token limits), measures against the limits, validates and prices
   * the operation {@code operationName} of {@code text}; each step once per distinct text.
   */
  Analysis analyse(
      String text, @Nullable String operationName, GraphQLSchema schema, OperationLimits limits) {
    Entry entry = documents.getIfPresent(text);
    if (entry == null) {
      ParseAndValidateResult parsed =
          ParseAndValidate.parse(ExecutionInput.newExecutionInput(text).build());
      if (parsed.isFailure()) {
        if (parsed.getSyntaxException() instanceof ParseCancelledException cancelled) {
          return new Refused("TOO_MANY_TOKENS", cancelled.getMessage());
        }
        return INVALID;
      }
      Document document = parsed.getDocument();
      OperationShape.Violation violation = OperationShape.check(document, limits);
      if (violation != null) {
        return new Refused(violation.code(), violation.message());
      }
      if (!ParseAndValidate.validate(schema, document).isEmpty()) {
        return INVALID;
      }
      entry = new Entry(new PreparsedDocumentEntry(document));
      entry.shape = Optional.empty();
      documents.put(text, entry);
    }
    if (entry.shape == null) {
      // kept by graphql-java's own path, before anyone measured it
      OperationShape.Violation violation = OperationShape.check(entry.parsed.getDocument(), limits);
      entry.shape =
          Optional.ofNullable(
              violation == null ? null : new Refused(violation.code(), violation.message()));
    }
    if (entry.shape.isPresent()) {
      return entry.shape.get();
    }
    Document document = entry.parsed.getDocument();
    // a name the document does not have is not kept: any client may send any number of them
    Valid operation =
        entry.operations.computeIfAbsent(
            operationName == null ? "" : operationName,
            name -> plan(document, operationName, schema, limits).orElse(null));
    return operation != null ? operation : INVALID;
  }

  /** How many operations of the text have been planned and kept (for its test). */
  int operationsKept(String text) {
    Entry entry = documents.getIfPresent(text);
    return entry == null ? 0 : entry.operations.size();
  }

  private static Optional<Valid> plan(
      Document document,
      @Nullable String operationName,
      GraphQLSchema schema,
      OperationLimits limits) {
    List<OperationDefinition> operations = document.getDefinitionsOfType(OperationDefinition.class);
    OperationDefinition chosen = null;
    if (operationName == null || operationName.isEmpty()) {
      chosen = operations.size() == 1 ? operations.get(0) : null;
    } else {
      for (OperationDefinition operation : operations) {
        if (operationName.equals(operation.getName())) {
          chosen = operation;
        }
      }
    }
    if (chosen == null) {
      return Optional.empty();
    }
    OperationCost.Plan plan =
        OperationCost.plan(schema, document, chosen, limits.defaultListSize());
    // from the plan, where fragments are spread: a fragment cannot hide _service at the root
    boolean readsServiceSdl =
        plan.roots().stream().anyMatch(node -> node.field().equals("_service"));
    return Optional.of(new Valid(chosen.getOperation(), plan, readsServiceSdl, chosen.getName()));
  }

  long size() {
    return documents.estimatedSize();
  }

  /** Carries out pending evictions now (Caffeine otherwise does it in the background). */
  void cleanUp() {
    documents.cleanUp();
  }
}
