package com.dedw3n.platform.security;

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
import java.nio.charset.StandardCharsets;
import org.hibernate.validator.constraintvalidation.HibernateConstraintValidatorContext;

/**
 * A password to store: at least 8 characters, and at most 72 bytes in UTF-8, because BCrypt reads
 * no further and Spring Security's encoder refuses a longer one (an INTERNAL_ERROR, were it let
 * through). 72 ASCII characters; fewer of others (an emoji takes 4 bytes). Null is valid: GraphQL's
 * non-null types keep it out.
 */
@Documented
@Constraint(validatedBy = NewPassword.Validator.class)
@Target({FIELD, PARAMETER})
@Retention(RUNTIME)
public @interface NewPassword {

  int MIN_CHARACTERS = 8;

  int MAX_BYTES = 72;

  String message() default
      "must be 8 or more characters and at most 72 bytes in UTF-8 (72 ASCII characters, fewer"
          + " others), not {length} characters, {bytes} bytes";

  Class<?>[] groups() default {};

  Class<? extends Payload>[] payload() default {};

  /** Checks both lengths and names them in the message. */
  final class Validator implements ConstraintValidator<NewPassword, String> {

    @Override
    public boolean isValid(String value, ConstraintValidatorContext context) {
      if (value == null) {
        return true;
      }
      int length = value.codePointCount(0, value.length());
      int bytes = value.getBytes(StandardCharsets.UTF_8).length;
      if (length >= MIN_CHARACTERS && bytes <= MAX_BYTES) {
        return true;
      }
      context
          .unwrap(HibernateConstraintValidatorContext.class)
          .addMessageParameter("length", length)
          .addMessageParameter("bytes", bytes);
      return false;
    }
  }
}
