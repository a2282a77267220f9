package com.dedw3n.platform.graphql;

import graphql.language.Argument;
import graphql.language.Field;
import graphql.language.FragmentDefinition;
import graphql.language.FragmentSpread;
import graphql.language.InlineFragment;
import graphql.language.IntValue;
import graphql.language.NullValue;
import graphql.language.Selection;
import graphql.language.SelectionSet;
import graphql.language.StringValue;
import graphql.language.Value;
import graphql.language.VariableReference;
import graphql.schema.DataFetchingEnvironment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Look-ahead for a DataFetcher: whether the query selects a field below the one being fetched, so
 * that the statement reading a page can also read what the page's items point to (a product's
 * seller, a review's author) when, and only when, the query asks for it.
 *
 * <p>Why not graphql-java's {@code env.getSelectionSet().contains("edges/node/author")}: it
 * normalizes the whole operation on first use and matches a glob against every path below the
 * field, for each parent (50 products' review lists on the feed); this walks the few selections on
 * the path. It errs one way only: a field under a type condition or a {@code @skip} / {@code
 * @include} counts as selected. That costs an unneeded join at worst, never a wrong answer: an item
 * read without its user loads it through the DataLoader.
 */
public final class Selections {

  private Selections() {}

  /**
   * Whether the fetched field's selection reaches the field at {@code path} (field names, not
   * aliases: {@code "edges", "node", "author"}), through any fragments.
   */
  public static boolean selects(DataFetchingEnvironment env, String... path) {
    Map<String, FragmentDefinition> fragments = env.getFragmentsByName();
    for (Field field : env.getMergedField().getFields()) {
      if (selects(field.getSelectionSet(), path, 0, fragments)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether {@code field}'s own selection reaches the field at {@code path}, as {@link
   * #selects(DataFetchingEnvironment, String...)} for a field found by {@link #fields}.
   */
  public static boolean selects(DataFetchingEnvironment env, Field field, String... path) {
    return selects(field.getSelectionSet(), path, 0, env.getFragmentsByName());
  }

  /**
   * The fields at {@code path} (field names, not aliases) below the fetched field, through any
   * fragments, in document order: what a later level will fetch, for a fetcher that reads it ahead
   * ({@code "reviews"} on a product, {@code "edges", "node", "comments"} on a page of posts). The
   * same errors as {@link #selects}: skipped fields and foreign type conditions count.
   */
  public static List<Field> fields(DataFetchingEnvironment env, String... path) {
    List<Field> found = new ArrayList<>(1);
    for (Field field : env.getMergedField().getFields()) {
      collect(field.getSelectionSet(), path, 0, env.getFragmentsByName(), found);
    }
    return found;
  }

  private static void collect(
      @Nullable SelectionSet set,
      String[] path,
      int depth,
      Map<String, FragmentDefinition> fragments,
      List<Field> found) {
    if (set == null) {
      return;
    }
    for (Selection<?> selection : set.getSelections()) {
      if (selection instanceof Field field) {
        if (field.getName().equals(path[depth])) {
          if (depth + 1 == path.length) {
            found.add(field);
          } else {
            collect(field.getSelectionSet(), path, depth + 1, fragments, found);
          }
        }
      } else if (selection instanceof InlineFragment inline) {
        collect(inline.getSelectionSet(), path, depth, fragments, found);
      } else if (selection instanceof FragmentSpread spread) {
        FragmentDefinition fragment = fragments.get(spread.getName());
        if (fragment != null) {
          collect(fragment.getSelectionSet(), path, depth, fragments, found);
        }
      }
    }
  }

  /** What {@link #argument} answers for an argument it cannot read ahead. */
  public static final Object UNREADABLE = new Object();

  /**
   * The value of {@code field}'s argument {@code name} as its fetcher will see it, for the scalar
   * arguments of a page (Int, String): the literal, or its variable's value (defaults applied);
   * null when absent or null; {@link #UNREADABLE} for any other literal.
   */
  public static @Nullable Object argument(DataFetchingEnvironment env, Field field, String name) {
    Value<?> value = null;
    for (Argument argument : field.getArguments()) {
      if (argument.getName().equals(name)) {
        value = argument.getValue();
      }
    }
    if (value == null) {
      return null;
    }
    if (value instanceof VariableReference variable) {
      return env.getVariables().get(variable.getName());
    }
    if (value instanceof NullValue) {
      return null;
    }
    if (value instanceof IntValue number) {
      return number.getValue().bitLength() < 32 ? number.getValue().intValue() : UNREADABLE;
    }
    if (value instanceof StringValue text) {
      return text.getValue();
    }
    return UNREADABLE;
  }

  // fragments cannot spread themselves (validation refuses cycles), so this ends
  private static boolean selects(
      @Nullable SelectionSet set,
      String[] path,
      int depth,
      Map<String, FragmentDefinition> fragments) {
    if (set == null) {
      return false;
    }
    for (Selection<?> selection : set.getSelections()) {
      if (selection instanceof Field field) {
        if (field.getName().equals(path[depth])
            && (depth + 1 == path.length
                || selects(field.getSelectionSet(), path, depth + 1, fragments))) {
          return true;
        }
      } else if (selection instanceof InlineFragment inline) {
        if (selects(inline.getSelectionSet(), path, depth, fragments)) {
          return true;
        }
      } else if (selection instanceof FragmentSpread spread) {
        FragmentDefinition fragment = fragments.get(spread.getName());
        if (fragment != null && selects(fragment.getSelectionSet(), path, depth, fragments)) {
          return true;
        }
      }
    }
    return false;
  }
}
