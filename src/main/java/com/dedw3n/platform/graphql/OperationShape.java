package com.dedw3n.platform.graphql;

import graphql.language.Definition;
import graphql.language.DirectivesContainer;
import graphql.language.Document;
import graphql.language.Field;
import graphql.language.FragmentDefinition;
import graphql.language.FragmentSpread;
import graphql.language.InlineFragment;
import graphql.language.Node;
import graphql.language.OperationDefinition;
import graphql.language.Selection;
import graphql.language.SelectionSet;
import graphql.language.StringValue;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The size of what a document asks for, measured on the parsed document before it is validated or
 * executed: how deep its fields nest, how often fields are aliased, how many fields sit at the top
 * of an operation, how many directives a field carries, and whether a string literal holds a NUL or
 * broken UTF-16. Fragments count where they are spread; each fragment is measured once, so a
 * document of fragments that spread each other many times over costs linear time to measure.
 *
 * <p>Introspection ({@code __schema}, {@code __type}) is not measured: its depth is bounded by the
 * schema, graphql-java limits its repetition, and it is switched off in production.
 */
final class OperationShape {

  /** A limit a document exceeds: the code for {@code extensions.code} and a message naming it. */
  record Violation(String code, String message) {}

  private static final long SATURATED = Long.MAX_VALUE / 4;

  private final Map<String, FragmentDefinition> fragments = new HashMap<>();
  private final Map<String, Stats> measured = new HashMap<>();
  private final Set<String> measuring = new HashSet<>();

  private OperationShape(Document document) {
    for (Definition<?> definition : document.getDefinitions()) {
      if (definition instanceof FragmentDefinition fragment) {
        fragments.putIfAbsent(fragment.getName(), fragment);
      }
    }
  }

  /** The first limit the document exceeds, or null when it is within every limit. */
  static @Nullable Violation check(Document document, OperationLimits limits) {
    Violation strings = strings(document);
    if (strings != null) {
      return strings;
    }
    int directives = maxDirectives(document);
    if (directives > limits.maxDirectivesPerField()) {
      return new Violation(
          "TOO_MANY_DIRECTIVES",
          "A field carries "
              + directives
              + " directives; at most "
              + limits.maxDirectivesPerField()
              + " are allowed on one field.");
    }
    OperationShape shape = new OperationShape(document);
    for (Definition<?> definition : document.getDefinitions()) {
      if (!(definition instanceof OperationDefinition operation)) {
        continue;
      }
      Stats stats = shape.measure(operation.getSelectionSet());
      if (stats.depth > limits.maxDepth()) {
        return new Violation(
            "QUERY_TOO_DEEP",
            "The query nests fields "
                + stats.depth
                + " levels deep; the limit is "
                + limits.maxDepth()
                + ".");
      }
      if (stats.fields > limits.maxRootFields()) {
        return new Violation(
            "TOO_MANY_ROOT_FIELDS",
            "The operation has "
                + stats.fields
                + " fields at its root; the limit is "
                + limits.maxRootFields()
                + ".");
      }
      if (stats.aliases > limits.maxAliases()) {
        return new Violation(
            "TOO_MANY_ALIASES",
            "The operation uses "
                + stats.aliases
                + " aliases; the limit is "
                + limits.maxAliases()
                + " in all.");
      }
      for (var alias : stats.aliasesByField.entrySet()) {
        if (alias.getValue() > limits.maxAliasesPerField()) {
          return new Violation(
              "TOO_MANY_ALIASES",
              "The field '"
                  + alias.getKey()
                  + "' is aliased "
                  + alias.getValue()
                  + " times; the limit is "
                  + limits.maxAliasesPerField()
                  + " for one field.");
        }
      }
    }
    return null;
  }

  /** Depth, top-level field count and aliases of a selection set, fragments spread. */
  private static final class Stats {
    long depth;
    long fields;
    long aliases;
    final Map<String, Long> aliasesByField = new HashMap<>();

    void add(Stats other) {
      depth = Math.max(depth, other.depth);
      fields = saturatedAdd(fields, other.fields);
      addAliases(other);
    }

    void addAliases(Stats other) {
      aliases = saturatedAdd(aliases, other.aliases);
      other.aliasesByField.forEach(
          (name, n) -> aliasesByField.merge(name, n, OperationShape::saturatedAdd));
    }
  }

  private Stats measure(@Nullable SelectionSet set) {
    Stats stats = new Stats();
    if (set == null) {
      return stats;
    }
    for (Selection<?> selection : set.getSelections()) {
      if (selection instanceof Field field) {
        stats.fields = saturatedAdd(stats.fields, 1);
        if (field.getAlias() != null) {
          stats.aliases = saturatedAdd(stats.aliases, 1);
          stats.aliasesByField.merge(field.getName(), 1L, OperationShape::saturatedAdd);
        }
        if (field.getName().equals("__schema") || field.getName().equals("__type")) {
          stats.depth = Math.max(stats.depth, 1);
          continue;
        }
        Stats inner = measure(field.getSelectionSet());
        stats.depth = Math.max(stats.depth, 1 + inner.depth);
        stats.addAliases(inner);
      } else if (selection instanceof InlineFragment inline) {
        stats.add(measure(inline.getSelectionSet()));
      } else if (selection instanceof FragmentSpread spread) {
        stats.add(fragment(spread.getName()));
      }
    }
    return stats;
  }

  /**
   * A fragment's stats, measured once; an unknown or cyclic fragment counts nothing (validation
   * refuses it).
   */
  private Stats fragment(String name) {
    Stats known = measured.get(name);
    if (known != null) {
      return known;
    }
    FragmentDefinition definition = fragments.get(name);
    if (definition == null || !measuring.add(name)) {
      return new Stats();
    }
    Stats stats = measure(definition.getSelectionSet());
    measuring.remove(name);
    measured.put(name, stats);
    return stats;
  }

  private static int maxDirectives(Node<?> node) {
    int most =
        node instanceof DirectivesContainer<?> container ? container.getDirectives().size() : 0;
    for (Node<?> child : node.getChildren()) {
      most = Math.max(most, maxDirectives(child));
    }
    return most;
  }

  /** A string literal with a NUL or half a UTF-16 surrogate pair. */
  private static @Nullable Violation strings(Node<?> node) {
    if (node instanceof StringValue value) {
      String problem = InputStrings.problem(value.getValue());
      if (problem != null) {
        return new Violation("INVALID_STRING", "A string in the document " + problem + ".");
      }
    }
    for (Node<?> child : node.getChildren()) {
      Violation found = strings(child);
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return sum < 0 || sum > SATURATED ? SATURATED : sum;
  }
}
