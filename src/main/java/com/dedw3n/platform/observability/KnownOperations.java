package com.dedw3n.platform.observability;

import graphql.language.OperationDefinition;
import graphql.parser.Parser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.stereotype.Component;

/**
 * The names of the operations clients are known to send: those of the documents in {@code api/}
 * (copied into the jar by the build). Metrics tag an operation by its name only when it is one of
 * these, so a client that invents a name per request cannot create a time series per request; any
 * other name is {@value #OTHER}, and an operation without a name {@value #ANONYMOUS}.
 */
@Component
public class KnownOperations {

  static final String OTHER = "other";
  static final String ANONYMOUS = "anonymous";

  private final Set<String> names;

  KnownOperations() {
    this(scan("classpath*:api/*.graphql"));
  }

  KnownOperations(Set<String> names) {
    this.names = Set.copyOf(names);
  }

  /** The tag of an operation with this name: the name if known, else "other" or "anonymous". */
  public String tagOf(@Nullable String operationName) {
    if (operationName == null || operationName.isEmpty()) {
      return ANONYMOUS;
    }
    return names.contains(operationName) ? operationName : OTHER;
  }

  /** The known names. */
  public Set<String> names() {
    return names;
  }

  private static Set<String> scan(String pattern) {
    Set<String> names = new HashSet<>();
    try {
      for (Resource document : new PathMatchingResourcePatternResolver().getResources(pattern)) {
        String text = document.getContentAsString(StandardCharsets.UTF_8);
        Parser.parse(text).getDefinitionsOfType(OperationDefinition.class).stream()
            .map(OperationDefinition::getName)
            .filter(name -> name != null)
            .forEach(names::add);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return names;
  }
}
