package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import graphql.ExecutionInput;
import graphql.GraphQLError;
import graphql.execution.preparsed.PreparsedDocumentEntry;
import graphql.parser.Parser;
import graphql.validation.ValidationError;
import graphql.validation.ValidationErrorType;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

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
