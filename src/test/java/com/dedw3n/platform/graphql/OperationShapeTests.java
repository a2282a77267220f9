package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import graphql.parser.Parser;
import java.time.Duration;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

/** The document limits of {@link OperationShape}, each at its boundary. */
class OperationShapeTests {

  private static final OperationLimits LIMITS =
      new OperationLimits(
          4,
          3,
          5,
          4,
          2,
          5000,
          10,
          100,
          DataSize.ofMegabytes(2),
          Duration.ofSeconds(10),
          Duration.ofSeconds(2),
          "",
          false,
          true);

  private static String codeOf(String document) {
    OperationShape.Violation violation = OperationShape.check(Parser.parse(document), LIMITS);
    return violation == null ? null : violation.code();
  }

  @Test
  void depthCountsThroughFragmentsAndStopsAtTheLimit() {
    assertThat(codeOf("{ a { b { c { d } } } }")).isNull();
    assertThat(codeOf("{ a { b { c { d { e } } } } }")).isEqualTo("QUERY_TOO_DEEP");
    assertThat(codeOf("{ a { ...F } } fragment F on T { b { c { d } } }")).isNull();
    assertThat(codeOf("{ a { ...F } } fragment F on T { b { c { d { e } } } }"))
        .isEqualTo("QUERY_TOO_DEEP");
    assertThat(codeOf("{ a { ... on T { b { c { d { e } } } } } }")).isEqualTo("QUERY_TOO_DEEP");
  }

  @Test
  void aliasesAreCountedPerFieldAndInAll() {
    assertThat(codeOf("{ x { a1: f a2: f a3: f } }")).isNull();
    assertThat(codeOf("{ x { a1: f a2: f a3: f a4: f } }")).isEqualTo("TOO_MANY_ALIASES");
    assertThat(codeOf("{ x { a1: f a2: f a3: f b1: g b2: g } }")).isNull();
    assertThat(codeOf("{ x { a1: f a2: f a3: f b1: g b2: g b3: g } }"))
        .isEqualTo("TOO_MANY_ALIASES");
    // a fragment spread twice brings its aliases twice
    assertThat(codeOf("{ x { ...F } y { ...F } } fragment F on T { a1: f a2: f }"))
        .isEqualTo("TOO_MANY_ALIASES");
  }

  @Test
  void rootFieldsCountThroughFragments() {
    assertThat(codeOf("{ a b c d }")).isNull();
    assertThat(codeOf("{ a b c d e }")).isEqualTo("TOO_MANY_ROOT_FIELDS");
    assertThat(codeOf("{ a b ...F } fragment F on Query { c d e }"))
        .isEqualTo("TOO_MANY_ROOT_FIELDS");
  }

  @Test
  void directivesPerField() {
    assertThat(codeOf("{ a @x @y }")).isNull();
    assertThat(codeOf("{ a @x @y @z }")).isEqualTo("TOO_MANY_DIRECTIVES");
  }

  @Test
  void aFragmentBombIsMeasuredInLinearTime() {
    // each fragment spreads the next one twice: 2^40 fields if expanded
    StringBuilder document = new StringBuilder("{ a { ...F0 } }");
    for (int i = 0; i < 40; i++) {
      document.append(" fragment F").append(i).append(" on T { ...F").append(i + 1);
      document.append(" ...F").append(i + 1).append(" }");
    }
    document.append(" fragment F40 on T { x }");
    long started = System.nanoTime();
    assertThat(codeOf(document.toString())).isNull();
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void fragmentCyclesAreLeftToValidation() {
    assertThat(codeOf("{ a { ...F } } fragment F on T { b { ...F } }")).isNull();
  }

  @Test
  void stringLiteralsWithNulAreRefused() {
    // half a surrogate pair in a literal: graphql-java's parser refuses it already
    assertThat(codeOf("{ a(s: \"fine é ü 😀\") }")).isNull();
    assertThat(codeOf("{ a(s: \"nul \\u0000 here\") }")).isEqualTo("INVALID_STRING");
    assertThat(codeOf("query($v: String = \"x\\u0000\") { a }")).isEqualTo("INVALID_STRING");
  }

  @Test
  void manyAliasesInOneSelectionAreRefusedBeforeAnyValidation() {
    String aliases =
        IntStream.range(0, 1350)
            .mapToObj(i -> "o" + i + ": order(id: \"" + i + "\") { id }")
            .collect(Collectors.joining(" "));
    assertThat(codeOf("{ " + aliases + " }")).isIn("TOO_MANY_ROOT_FIELDS", "TOO_MANY_ALIASES");
  }
}
