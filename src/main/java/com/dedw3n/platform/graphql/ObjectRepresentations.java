package com.dedw3n.platform.graphql;

import com.apollographql.federation.graphqljava._Any;
import graphql.GraphQLContext;
import graphql.execution.CoercedVariables;
import graphql.language.Value;
import graphql.schema.Coercing;
import graphql.schema.CoercingParseLiteralException;
import graphql.schema.CoercingParseValueException;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * federation-jvm's {@code _Any}, refusing what is not an object: it takes a string or a number as a
 * representation, and the entities fetcher then fails on it as a map, an internal error (with an
 * ERROR log line) for one budget point, where the request is the client's mistake. Refused here, it
 * is invalid input before anything executes, answered as such.
 */
final class ObjectRepresentations implements Coercing<Object, Object> {

  @SuppressWarnings("unchecked")
  private final Coercing<Object, Object> federation =
      (Coercing<Object, Object>) _Any.type.getCoercing();

  @Override
  public @Nullable Object serialize(Object value, GraphQLContext context, Locale locale) {
    return federation.serialize(value, context, locale);
  }

  @Override
  public Object parseValue(Object input, GraphQLContext context, Locale locale) {
    Object value = federation.parseValue(input, context, locale);
    if (!(value instanceof Map)) {
      throw new CoercingParseValueException(refusal(value));
    }
    return value;
  }

  @Override
  public @Nullable Object parseLiteral(
      Value<?> input, CoercedVariables variables, GraphQLContext context, Locale locale) {
    Object value;
    try {
      value = federation.parseLiteral(input, variables, context, locale);
    } catch (CoercingParseLiteralException refused) {
      throw refused;
    } catch (RuntimeException unreadable) {
      // federation-jvm collects an object literal with Collectors.toMap, which throws on a null
      // field ({id: null}) or a repeated one: invalid input all the same, not an internal error
      throw new CoercingParseLiteralException(
          "A representation's fields must be named once each and not be null: " + unreadable);
    }
    if (!(value instanceof Map)) {
      throw new CoercingParseLiteralException(refusal(value));
    }
    return value;
  }

  private static String refusal(@Nullable Object value) {
    return "A representation is an object with __typename and the entity's key fields, not "
        + (value == null ? "null" : value.getClass().getSimpleName().toLowerCase(Locale.ROOT));
  }
}
