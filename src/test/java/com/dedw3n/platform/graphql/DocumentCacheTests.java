package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import graphql.ExecutionInput;
import graphql.GraphQLError;
import graphql.execution.preparsed.PreparsedDocumentEntry;
import graphql.parser.Parser;
import graphql.schema.idl.SchemaParser;
import graphql.schema.idl.UnExecutableSchemaGenerator;
import graphql.validation.ValidationError;
import graphql.validation.ValidationErrorType;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

class DocumentCacheTests {

  private final AtomicInteger parsed = new AtomicInteger();

  /** Stands in for graphql-java's parse-and-validate step; documents containing "bad" fail. */
  private final Function<ExecutionInput, PreparsedDocumentEntry> parseAndValidate =
      input -> {
        parsed.incrementAndGet();
        if (input.getQuery().contains("bad")) {
          GraphQLError error =
              ValidationError.newValidationError()
                  .validationErrorType(ValidationErrorType.FieldUndefined)
                  .description("Field 'bad' is undefined")
                  .build();
          return new PreparsedDocumentEntry(error);
        }
        return new PreparsedDocumentEntry(Parser.parse(input.getQuery()));
      };

  private PreparsedDocumentEntry get(DocumentCache cache, String query, Object variable)
      throws Exception {
    ExecutionInput input =
        ExecutionInput.newExecutionInput(query).variables(java.util.Map.of("id", variable)).build();
    return cache.getDocumentAsync(input, parseAndValidate).get();
  }

  @Test
  void aDocumentIsParsedAndValidatedOnceWhateverItsVariables() throws Exception {
    DocumentCache cache = new DocumentCache(1 << 20);
    String query = "query user($id: ID!) { user(id: $id) { id } }";

    PreparsedDocumentEntry first = get(cache, query, "1");
    PreparsedDocumentEntry second = get(cache, query, "2");

    assertThat(parsed).hasValue(1);
    assertThat(second.getDocument()).isSameAs(first.getDocument());
    assertThat(second.hasErrors()).isFalse();
  }

  @Test
  void anInvalidDocumentIsRefusedEveryTimeAndNeverKept() throws Exception {
    DocumentCache cache = new DocumentCache(1 << 20);

    assertThat(get(cache, "{ bad }", "1").getErrors()).hasSize(1);
    assertThat(get(cache, "{ bad }", "1").getErrors()).hasSize(1);

    assertThat(parsed).hasValue(2);
    assertThat(cache.size()).isZero();
  }

  /**
   * Any client may send any operationName with a cached document: only the operations the document
   * has are kept, or each distinct name (up to the request's size) stayed with the document.
   */
  @Test
  void onlyTheOperationsADocumentHasAreKeptWhateverNamesAreAskedFor() {
    DocumentCache cache = new DocumentCache(1 << 20);
    var schema =
        UnExecutableSchemaGenerator.makeUnExecutableSchema(
            new SchemaParser().parse("type Query { a: Int }"));
    var limits =
        new OperationLimits(
            10,
            15,
            50,
            20,
            5,
            5000,
            10,
            100,
            DataSize.ofMegabytes(2),
            Duration.ofSeconds(10),
            Duration.ofSeconds(2),
            "",
            false,
            true);
    String text = "query one { a } query two { a }";
    for (int i = 0; i < 100; i++) {
      assertThat(cache.analyse(text, "missing" + i, schema, limits))
          .isInstanceOf(DocumentCache.Invalid.class);
    }
    assertThat(cache.analyse(text, "one", schema, limits)).isInstanceOf(DocumentCache.Valid.class);
    assertThat(cache.analyse(text, null, schema, limits))
        .as("two operations and no name")
        .isInstanceOf(DocumentCache.Invalid.class);
    assertThat(cache.operationsKept(text)).isEqualTo(1);
  }

  @Test
  void theCacheHoldsNoMoreTextThanItsBound() throws Exception {
    DocumentCache cache = new DocumentCache(1_000);
    for (int i = 0; i < 200; i++) {
      get(cache, "query q" + i + " { user(id: \"" + i + "\") { id displayName } }", "1");
    }
    cache.cleanUp();

    // each text is about 45 characters: at most 1,000 characters' worth stay
    assertThat(cache.size()).isLessThanOrEqualTo(1_000 / 40);
  }
}
