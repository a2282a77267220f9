package com.dedw3n.platform.graphql;

import graphql.language.Field;
import graphql.language.FragmentDefinition;
import graphql.language.FragmentSpread;
import graphql.language.InlineFragment;
import graphql.language.Selection;
import graphql.language.SelectionSet;
import graphql.schema.DataFetchingEnvironment;
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
