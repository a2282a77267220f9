package com.dedw3n.platform.graphql;

import graphql.language.ArrayValue;
import graphql.language.AstPrinter;
import graphql.language.Definition;
import graphql.language.Document;
import graphql.language.Field;
import graphql.language.FragmentDefinition;
import graphql.language.FragmentSpread;
import graphql.language.InlineFragment;
import graphql.language.IntValue;
import graphql.language.OperationDefinition;
import graphql.language.Selection;
import graphql.language.SelectionSet;
import graphql.language.VariableDefinition;
import graphql.language.VariableReference;
import graphql.schema.GraphQLAppliedDirective;
import graphql.schema.GraphQLAppliedDirectiveArgument;
import graphql.schema.GraphQLArgument;
import graphql.schema.GraphQLCompositeType;
import graphql.schema.GraphQLDirectiveContainer;
import graphql.schema.GraphQLFieldDefinition;
import graphql.schema.GraphQLFieldsContainer;
import graphql.schema.GraphQLNamedType;
import graphql.schema.GraphQLSchema;
import graphql.schema.GraphQLType;
import graphql.schema.GraphQLTypeUtil;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The price of an operation in points, the way Apollo Router's demand control and the GraphQL cost
 * directives specification count it, so the gateway and this API agree:
 *
 * <ul>
 *   <li>a field whose type is an object costs 1, a scalar or enum 0, unless the schema says
 *       otherwise with {@code @cost(weight:)} on the field or its type; a root mutation field costs
 *       10 unless it has its own {@code @cost};
 *   <li>a list multiplies what one item costs by its size: the value of its slicing argument
 *       ({@code first}, {@code last}, or that argument's default when the client gives none), or
 *       the {@code assumedSize} of its {@code @listSize}, or {@link
 *       OperationLimits#defaultListSize()} when the schema says nothing. A connection's
 *       {@code @listSize(slicingArguments: ["first"], sizedFields: ["edges"])} sizes its {@code
 *       edges}, so nested pages multiply: 50 products with 3 reviews each cost what 50 × 3 reviews
 *       can fetch;
 *   <li>{@code _entities} costs what its representations ask for; introspection costs nothing.
 * </ul>
 *
 * The <em>static</em> cost is computed from the document and variables before execution, as the
 * most the operation can fetch; the <em>actual</em> cost counts the same way over the data that
 * came back: lists as long as they really were, and below them every selected object counted as
 * returned.
 */
final class OperationCost {

  /** A root mutation field's weight unless it has its own {@code @cost}. */
  static final int MUTATION_WEIGHT = 10;

  private static final long SATURATED = Long.MAX_VALUE / 4;

  /**
   * The most selections a plan holds. The W1 feed's plan holds a few dozen; past this a document
   * (fragments spread into each other's fields, a few hundred tokens) selects more than any page
   * here could return, and it is priced at the most instead of being planned out, which took time
   * and memory exponential in its length.
   */
  static final int MAX_NODES = 10_000;

  /**
   * The priced selection of one operation, independent of variables; built once per document.
   * {@code oversized}: it selects more than {@link #MAX_NODES} fields, costs the most, and only its
   * first {@code MAX_NODES} are in {@code roots} (every root field is).
   */
  record Plan(List<Node> roots, int defaultListSize, boolean oversized) {

    /** The most the operation can cost with these variables. */
    long staticCost(Map<String, Object> variables) {
      return oversized ? SATURATED : costOf(roots, variables, null, Set.of());
    }

    /**
     * The most the operation can cost whatever its variables: every page a variable sizes at {@code
     * largestPage} (the largest a page may be). A registered operation's price.
     */
    long price(long largestPage) {
      Map<String, Object> largest = new java.util.HashMap<>();
      slicingVariables(roots, largest, largestPage);
      return staticCost(largest);
    }

    private static void slicingVariables(
        List<Node> nodes, Map<String, Object> into, long largestPage) {
      for (Node node : nodes) {
        if (node.sizing() != null) {
          for (Slice slice : node.sizing().slices()) {
            if (slice.variable() != null) {
              into.put(slice.variable(), largestPage);
            }
          }
        }
        slicingVariables(node.children(), into, largestPage);
      }
    }

    /** What the operation cost, counted over the data it returned. */
    long actualCost(@Nullable Object data) {
      return data instanceof Map<?, ?> map ? actual(roots, map) : 0;
    }

    private long costOf(
        List<Node> nodes,
        Map<String, Object> variables,
        @Nullable Long parentSize,
        Set<String> sizedByParent) {
      long total = 0;
      long group = 0; // the costliest of the current response key's alternatives
      for (Node node : nodes) {
        long one = cost(node, variables, sizedByParent.contains(node.field()) ? parentSize : null);
        if (node.alternative()) {
          group = Math.max(group, one);
        } else {
          total = add(total, group);
          group = one;
        }
      }
      return add(total, group);
    }

    private long cost(Node node, Map<String, Object> variables, @Nullable Long sizeFromParent) {
      Long slice = node.sizing() == null ? null : node.sizing().size(variables);
      long one =
          add(
              node.weight(),
              costOf(
                  node.children(),
                  variables,
                  slice,
                  node.sizing() == null ? Set.of() : node.sizing().sizedFields()));
      if (!node.list()) {
        return one;
      }
      long size;
      if (sizeFromParent != null) {
        size = sizeFromParent;
      } else if (slice != null && node.sizing().sizedFields().isEmpty()) {
        size = slice;
      } else {
        size = defaultListSize;
      }
      return multiply(one, size);
    }

    /**
     * Walks only what can vary: a subtree without lists costs the same whenever it is there (its
     * {@link Node#fixed} cost), so only lists are measured. The W3 page (50 messages with their
     * senders) is one list length read, not 150 objects visited.
     */
    private static long actual(List<Node> nodes, Map<?, ?> object) {
      long total = 0;
      long group = 0; // one response key's value, read by the costliest of its alternatives
      for (Node node : nodes) {
        long one = actual(node, object.get(node.key()));
        if (node.alternative()) {
          group = Math.max(group, one);
        } else {
          total = add(total, group);
          group = one;
        }
      }
      return add(total, group);
    }

    private static long actual(Node node, @Nullable Object value) {
      if (value == null) {
        return 0;
      }
      if (value instanceof List<?> items) {
        if (!node.varies()) {
          return multiply(node.fixed(), items.size());
        }
        long total = 0;
        for (Object item : items) {
          if (item != null) {
            total =
                add(
                    total,
                    add(
                        node.weight(),
                        item instanceof Map<?, ?> m ? actual(node.children(), m) : 0));
          }
        }
        return total;
      }
      if (!node.varies()) {
        return node.fixed();
      }
      if (value instanceof Map<?, ?> child) {
        return add(node.weight(), actual(node.children(), child));
      }
      return node.weight();
    }
  }

  /**
   * One selection: its response key, what one value costs itself ({@code weight}), whether it is a
   * list, how its size (or its sized children's) is found, and what it selects. {@code selection}
   * tells selections apart (key, field and arguments); an {@code alternative} has the same response
   * key as the node before it but another field or arguments, which validation allows only on
   * another object type: for each value one of them applies, so the costliest counts.
   */
  record Node(
      String key,
      String selection,
      String field,
      int weight,
      boolean list,
      @Nullable Sizing sizing,
      List<Node> children,
      boolean alternative,
      boolean varies,
      long fixed) {

    Node(
        String key,
        String selection,
        String field,
        int weight,
        boolean list,
        @Nullable Sizing sizing,
        List<Node> children,
        boolean alternative) {
      this(
          key,
          selection,
          field,
          weight,
          list,
          sizing,
          children,
          alternative,
          varies(children),
          fixed(weight, children));
    }

    Node asAlternative(boolean alternative) {
      return alternative == this.alternative
          ? this
          : new Node(key, selection, field, weight, list, sizing, children, alternative);
    }

    /** Whether a list hides somewhere below (so the actual cost needs a look at the data). */
    private static boolean varies(List<Node> children) {
      for (Node child : children) {
        if (child.list() || child.varies()) {
          return true;
        }
      }
      return false;
    }

    /** One value's cost when nothing below it varies: its weight and all of its children's. */
    private static long fixed(int weight, List<Node> children) {
      long total = weight;
      long group = 0;
      for (Node child : children) {
        long one = child.list() ? 0 : child.fixed();
        if (child.alternative()) {
          group = Math.max(group, one);
        } else {
          total = add(total, group);
          group = one;
        }
      }
      return add(total, group);
    }
  }

  /**
   * How a list is sized: the largest of the slicing arguments given (each a literal, a variable or
   * the argument's default), else {@code assumed}. {@code sizedFields} name the children the size
   * applies to (a connection's edges); empty when it applies to the field itself.
   */
  record Sizing(List<Slice> slices, @Nullable Long assumed, Set<String> sizedFields) {

    @Nullable Long size(Map<String, Object> variables) {
      Long largest = null;
      for (Slice slice : slices) {
        Long value = slice.value(variables);
        if (value != null && (largest == null || value > largest)) {
          largest = value;
        }
      }
      return largest != null ? largest : assumed;
    }
  }

  /** One slicing argument: a literal, or a variable with its default, or the schema's default. */
  record Slice(@Nullable Long literal, @Nullable String variable, @Nullable Long fallback) {

    @Nullable Long value(Map<String, Object> variables) {
      if (literal != null) {
        return literal;
      }
      if (variable != null && variables.get(variable) != null) {
        return sizeOf(variables.get(variable));
      }
      return fallback;
    }
  }

  private final GraphQLSchema schema;
  private final Map<String, FragmentDefinition> fragments = new HashMap<>();
  private final Map<String, Long> variableDefaults = new HashMap<>();
  private int nodes;

  private OperationCost(GraphQLSchema schema, Document document, OperationDefinition operation) {
    this.schema = schema;
    for (Definition<?> definition : document.getDefinitions()) {
      if (definition instanceof FragmentDefinition fragment) {
        fragments.put(fragment.getName(), fragment);
      }
    }
    for (VariableDefinition variable : operation.getVariableDefinitions()) {
      Long value = sizeOf(variable.getDefaultValue());
      if (value != null) {
        variableDefaults.put(variable.getName(), value);
      }
    }
  }

  /** The plan of a validated operation of the document. */
  static Plan plan(
      GraphQLSchema schema, Document document, OperationDefinition operation, int defaultListSize) {
    OperationCost planner = new OperationCost(schema, document, operation);
    GraphQLCompositeType root =
        switch (operation.getOperation()) {
          case MUTATION -> schema.getMutationType();
          case SUBSCRIPTION -> schema.getSubscriptionType();
          default -> schema.getQueryType();
        };
    boolean mutation = operation.getOperation() == OperationDefinition.Operation.MUTATION;
    List<Node> roots =
        planner.nodes(operation.getSelectionSet(), root, mutation, new ArrayList<>());
    return new Plan(roots, defaultListSize, planner.nodes > MAX_NODES);
  }

  private List<Node> nodes(
      @Nullable SelectionSet set,
      GraphQLCompositeType parent,
      boolean mutationRoot,
      List<String> spreading) {
    Map<String, Node> bySelection = new LinkedHashMap<>();
    collect(set, parent, mutationRoot, spreading, new HashSet<>(), bySelection);
    return grouped(bySelection.values());
  }

  /**
   * The selections in their order, those of one response key next to each other, all but the first
   * of them alternatives.
   */
  private static List<Node> grouped(Collection<Node> selections) {
    Map<String, List<Node>> byKey = new LinkedHashMap<>();
    for (Node node : selections) {
      byKey.computeIfAbsent(node.key(), key -> new ArrayList<>(1)).add(node);
    }
    List<Node> grouped = new ArrayList<>(selections.size());
    for (List<Node> alternatives : byKey.values()) {
      for (int i = 0; i < alternatives.size(); i++) {
        grouped.add(alternatives.get(i).asAlternative(i > 0));
      }
    }
    return List.copyOf(grouped);
  }

  /**
   * Collects a selection set's fields into {@code bySelection}, keyed by response key, field and
   * arguments: validation lets one key name different fields (or arguments) only on different
   * object types, which are priced apart and both counted, the most either could cost and more.
   */
  private void collect(
      @Nullable SelectionSet set,
      GraphQLCompositeType parent,
      boolean mutationRoot,
      List<String> spreading,
      Set<String> spread,
      Map<String, Node> bySelection) {
    if (set == null) {
      return;
    }
    for (Selection<?> selection : set.getSelections()) {
      if (selection instanceof Field field) {
        Node node = node(field, parent, mutationRoot, spreading);
        if (node != null) {
          bySelection.merge(node.selection(), node, OperationCost::merge);
        }
      } else if (selection instanceof InlineFragment inline) {
        GraphQLCompositeType on =
            inline.getTypeCondition() == null
                ? parent
                : (GraphQLCompositeType) schema.getType(inline.getTypeCondition().getName());
        collect(
            inline.getSelectionSet(),
            on == null ? parent : on,
            mutationRoot,
            spreading,
            spread,
            bySelection);
      } else if (selection instanceof FragmentSpread fragmentSpread) {
        String name = fragmentSpread.getName();
        FragmentDefinition fragment = fragments.get(name);
        if (fragment == null || spreading.contains(name)) {
          continue; // validated documents have neither; never loop
        }
        if (!spread.add(name)) {
          // already spread into this selection set: again adds nothing (its fields merge into
          // themselves), and spreading it at every mention took time exponential in the number
          // of fragments that spread the next one twice
          continue;
        }
        GraphQLCompositeType on =
            (GraphQLCompositeType) schema.getType(fragment.getTypeCondition().getName());
        spreading.add(name);
        collect(
            fragment.getSelectionSet(),
            on == null ? parent : on,
            mutationRoot,
            spreading,
            spread,
            bySelection);
        spreading.remove(spreading.size() - 1);
      }
    }
  }

  private @Nullable Node node(
      Field field, GraphQLCompositeType parent, boolean mutationRoot, List<String> spreading) {
    String name = field.getName();
    if (name.startsWith("__") || !(parent instanceof GraphQLFieldsContainer container)) {
      return null; // __typename and introspection cost nothing
    }
    GraphQLFieldDefinition definition = container.getFieldDefinition(name);
    if (definition == null) {
      return null;
    }
    GraphQLType type = definition.getType();
    boolean list = GraphQLTypeUtil.isList(GraphQLTypeUtil.unwrapNonNull(type));
    GraphQLNamedType named = (GraphQLNamedType) GraphQLTypeUtil.unwrapAll(type);
    Integer weight = weight(definition);
    if (weight == null && mutationRoot) {
      weight = MUTATION_WEIGHT;
    }
    if (weight == null && named instanceof GraphQLDirectiveContainer typeDirectives) {
      weight = weight(typeDirectives);
    }
    if (weight == null) {
      weight = named instanceof GraphQLCompositeType ? 1 : 0;
    }
    // past MAX_NODES the plan is priced at the most: what is below is not planned out
    boolean planned = ++nodes <= MAX_NODES;
    List<Node> children =
        named instanceof GraphQLCompositeType composite && planned
            ? nodes(field.getSelectionSet(), composite, false, spreading)
            : List.of();
    String key = field.getAlias() != null ? field.getAlias() : name;
    return new Node(
        key, selection(key, field), name, weight, list, sizing(field, definition), children, false);
  }

  /** Response key, field and arguments (in name order: their order means nothing). */
  private static String selection(String key, Field field) {
    if (field.getArguments().isEmpty()) {
      return key + '\u0000' + field.getName();
    }
    List<graphql.language.Argument> arguments = new ArrayList<>(field.getArguments());
    arguments.sort(java.util.Comparator.comparing(graphql.language.Argument::getName));
    return key
        + '\u0000'
        + field.getName()
        + '\u0000'
        + AstPrinter.printAstCompact(new Field("", arguments));
  }

  private @Nullable Sizing sizing(Field field, GraphQLFieldDefinition definition) {
    if (definition.getName().equals("_entities")) {
      // federation's own field: as many entities as representations were sent
      return new Sizing(List.of(slice(field, definition, "representations")), null, Set.of());
    }
    GraphQLAppliedDirective listSize = definition.getAppliedDirective("listSize");
    if (listSize == null) {
      return null;
    }
    List<Slice> slices = new ArrayList<>();
    for (String argument : strings(listSize.getArgument("slicingArguments"))) {
      slices.add(slice(field, definition, argument));
    }
    Long assumed = sizeOf(value(listSize.getArgument("assumedSize")));
    return new Sizing(
        List.copyOf(slices), assumed, Set.copyOf(strings(listSize.getArgument("sizedFields"))));
  }

  private Slice slice(Field field, GraphQLFieldDefinition definition, String argument) {
    GraphQLArgument declared = definition.getArgument(argument);
    Long fallback =
        declared != null && declared.hasSetDefaultValue()
            ? sizeOf(declared.getArgumentDefaultValue().getValue())
            : null;
    for (graphql.language.Argument given : field.getArguments()) {
      if (!given.getName().equals(argument)) {
        continue;
      }
      if (given.getValue() instanceof VariableReference variable) {
        Long variableDefault = variableDefaults.get(variable.getName());
        return new Slice(
            null, variable.getName(), variableDefault != null ? variableDefault : fallback);
      }
      return new Slice(sizeOf(given.getValue()), null, fallback);
    }
    return new Slice(null, null, fallback);
  }

  private static @Nullable Integer weight(GraphQLDirectiveContainer container) {
    GraphQLAppliedDirective cost = container.getAppliedDirective("cost");
    if (cost == null) {
      return null;
    }
    Long weight = sizeOf(value(cost.getArgument("weight")));
    return weight == null ? null : weight.intValue();
  }

  private static @Nullable Object value(@Nullable GraphQLAppliedDirectiveArgument argument) {
    return argument == null ? null : argument.getValue();
  }

  private static List<String> strings(@Nullable GraphQLAppliedDirectiveArgument argument) {
    Object value = value(argument);
    List<String> strings = new ArrayList<>();
    if (value instanceof Collection<?> items) {
      items.forEach(item -> strings.add(String.valueOf(item)));
    } else if (value instanceof ArrayValue array) {
      array
          .getValues()
          .forEach(item -> strings.add(((graphql.language.StringValue) item).getValue()));
    }
    return strings;
  }

  /** A size from a literal, a JSON variable value or a list (its length); null when none. */
  static @Nullable Long sizeOf(@Nullable Object value) {
    if (value instanceof Number number) {
      return Math.max(0, number.longValue());
    }
    if (value instanceof IntValue literal) {
      return Math.max(0, literal.getValue().longValue());
    }
    if (value instanceof ArrayValue array) {
      return (long) array.getValues().size();
    }
    if (value instanceof Collection<?> items) {
      return (long) items.size();
    }
    return null;
  }

  /** Two selections of one response key, field and arguments: their children merged. */
  private static Node merge(Node a, Node b) {
    Map<String, Node> children = new LinkedHashMap<>();
    for (Node child : a.children()) {
      children.put(child.selection(), child.asAlternative(false));
    }
    for (Node child : b.children()) {
      children.merge(child.selection(), child.asAlternative(false), OperationCost::merge);
    }
    return new Node(
        a.key(),
        a.selection(),
        a.field(),
        a.weight(),
        a.list(),
        a.sizing(),
        grouped(children.values()),
        false);
  }

  private static long add(long a, long b) {
    long sum = a + b;
    return sum < 0 || sum > SATURATED ? SATURATED : sum;
  }

  private static long multiply(long a, long b) {
    if (a == 0 || b == 0) {
      return 0;
    }
    return a > SATURATED / b ? SATURATED : a * b;
  }
}
