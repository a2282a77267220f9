package com.dedw3n.platform.graphql;

import graphql.schema.DataFetcher;
import graphql.schema.DataFetchingEnvironment;
import graphql.schema.GraphQLFieldDefinition;
import graphql.schema.PropertyDataFetcher;
import graphql.schema.idl.FieldWiringEnvironment;
import graphql.schema.idl.RuntimeWiring;
import graphql.schema.idl.WiringFactory;
import java.lang.invoke.LambdaMetafactory;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.graphql.execution.RuntimeWiringConfigurer;
import org.springframework.stereotype.Component;

/**
 * Every field without a data fetcher of its own reads its record component through a getter made
 * once per field and record class, instead of graphql-java's property lookup on every value.
 *
 * <p>graphql-java's default fetcher finds a field's value by name each time: a cache key built from
 * the value's class loader, class name and the field's name, then one to three lookups in global
 * maps, then (for this server's records, package-private and so out of reach of its lambda getters)
 * a reflective call. That was 3-4 % of the feed's CPU (W1: 50 products, 150 reviews and their
 * users, a few hundred such fields a request) and 2 % of a conversation page's. Here each field's
 * fetcher remembers the last record class it saw and calls that record's accessor through a lambda
 * made with {@link LambdaMetafactory}, as graphql-java's own fast path does for public classes.
 *
 * <p>Only records take the fast path, where the accessor is the {@code name()} method that
 * graphql-java looks for first, so a field's value is the one it would return. Anything else (maps,
 * spring-graphql's connections and edges, classes with getters) goes to graphql-java's fetcher,
 * which this extends, so spring-graphql's schema inspection still sees a property fetcher of that
 * name and reports a field that no record or getter has.
 */
@Component
class RecordProperties implements RuntimeWiringConfigurer {

  @Override
  public void configure(RuntimeWiring.Builder builder) {}

  @Override
  public void configure(RuntimeWiring.Builder builder, List<WiringFactory> container) {
    container.add(
        new WiringFactory() {
          @Override
          public DataFetcher<?> getDefaultDataFetcher(FieldWiringEnvironment environment) {
            return new Fetcher(environment.getFieldDefinition().getName());
          }
        });
  }

  /** One field's fetcher: its record getters by class, and the last one used. */
  static final class Fetcher extends PropertyDataFetcher<Object> {

    private final Map<Class<?>, Getter> getters = new ConcurrentHashMap<>();
    private volatile @Nullable Getter last;

    Fetcher(String name) {
      super(name);
    }

    @Override
    public @Nullable Object get(
        GraphQLFieldDefinition field,
        @Nullable Object source,
        Supplier<DataFetchingEnvironment> environment)
        throws Exception {
      Function<Object, Object> read = read(source);
      return read != null ? read.apply(source) : super.get(field, source, environment);
    }

    @Override
    public @Nullable Object get(DataFetchingEnvironment environment) {
      Object source = environment.getSource();
      Function<Object, Object> read = read(source);
      return read != null ? read.apply(source) : super.get(environment);
    }

    /** The record getter for this source's class; null where graphql-java's lookup applies. */
    @Nullable Function<Object, Object> read(@Nullable Object source) {
      if (source == null) {
        return null;
      }
      Class<?> type = source.getClass();
      Getter getter = last;
      if (getter == null || getter.type != type) {
        getter = getters.computeIfAbsent(type, this::make);
        last = getter;
      }
      return getter.read;
    }

    /** The accessor of the record's component of this field's name, if it has one. */
    private Getter make(Class<?> type) {
      if (type.isRecord()) {
        for (RecordComponent component : type.getRecordComponents()) {
          if (component.getName().equals(getPropertyName())) {
            return new Getter(type, lambda(type, component));
          }
        }
      }
      return new Getter(type, null);
    }

    /**
     * A lambda calling the accessor, made in the record's own lookup (package-private records are
     * readable from their module); null, and so graphql-java's lookup, where one cannot be made.
     */
    @SuppressWarnings("unchecked")
    private static @Nullable Function<Object, Object> lambda(
        Class<?> record, RecordComponent component) {
      try {
        MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(record, MethodHandles.lookup());
        MethodHandle accessor = lookup.unreflect(component.getAccessor());
        return (Function<Object, Object>)
            LambdaMetafactory.metafactory(
                    lookup,
                    "apply",
                    MethodType.methodType(Function.class),
                    MethodType.methodType(Object.class, Object.class),
                    accessor,
                    accessor.type().wrap())
                .getTarget()
                .invokeExact();
      } catch (Throwable e) {
        return null;
      }
    }
  }

  /** A class's getter for one field; {@code read} null where the class is no such record. */
  private record Getter(Class<?> type, @Nullable Function<Object, Object> read) {}
}
