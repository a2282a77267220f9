package com.dedw3n.platform.graphql;

import graphql.schema.DataFetchingEnvironment;
import org.dataloader.DataLoader;

/**
 * Finds a request's DataLoader by the name it was registered under: the constant its owning feature
 * declares ({@code User.LOADER}, {@code Product.LOADER}, ...), never a class name, so that moving
 * or renaming a class cannot silently unhook a field from its loader.
 */
public final class DataLoaders {

  private DataLoaders() {}

  /** The DataLoader registered under {@code name}; fails loudly when there is none. */
  public static <K, V> DataLoader<K, V> named(DataFetchingEnvironment environment, String name) {
    DataLoader<K, V> dataLoader = environment.getDataLoader(name);
    if (dataLoader == null) {
      throw new IllegalStateException("No DataLoader named " + name + " is registered");
    }
    return dataLoader;
  }
}
