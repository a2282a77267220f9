package com.dedw3n.platform.graphql;

import static java.lang.annotation.ElementType.FIELD;
import static java.lang.annotation.ElementType.PARAMETER;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import jakarta.validation.Constraint;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import jakarta.validation.Payload;
import java.lang.annotation.Documented;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;
import java.util.Locale;

/**
 * The ISO 4217 code of a currency, in either case, white space around it allowed ({@link
 * Money#fromInput} strips and upper-cases it). Three letters are not yet a currency: a price in
 * "ABC" (or in gold, XAU, or in marks, DEM) would be stored and ordered, and every checkout of it
 * then refused by Stripe. Null is valid: GraphQL's non-null types keep it out.
 */
@Documented
@Constraint(validatedBy = CurrencyCode.Validator.class)
@Target({FIELD, PARAMETER})
@Retention(RUNTIME)
public @interface CurrencyCode {

  String message() default "must be an ISO 4217 code such as USD";

  Class<?>[] groups() default {};

  Class<? extends Payload>[] payload() default {};

  /** Checks the code against the currencies in use that Java knows. */
  final class Validator implements ConstraintValidator<CurrencyCode, String> {

    @Override
    public boolean isValid(String value, ConstraintValidatorContext context) {
      return value == null || Money.isCurrency(value.strip().toUpperCase(Locale.ROOT));
    }
  }
}
