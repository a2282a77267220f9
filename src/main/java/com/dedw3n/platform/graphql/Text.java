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
import org.hibernate.validator.constraintvalidation.HibernateConstraintValidatorContext;

/**
 * A free-text argument of {@code min} to {@code max} characters once the white space around it is
 * stripped ({@link Inputs#strip}: what the API stores is the stripped text), and without control
 * characters other than tab and line breaks. Null is valid: GraphQL's non-null types keep it out of
 * the arguments that are required. On an {@code ArgumentValue<String>} it checks the value when one
 * is given.
 *
 * <p>Why: a body of no-break or zero-width spaces passed {@code String.strip()} and showed everyone
 * an empty post (a required text must also hold a character that shows, not only format
 * characters); and a control character is six bytes of JSON ({@code \u0001}), so bodies of them
 * made a timeline page larger than the response limit, which answers it with nothing (no cursor to
 * page past them).
 */
@Documented
@Constraint(validatedBy = Text.Validator.class)
@Target({FIELD, PARAMETER})
@Retention(RUNTIME)
public @interface Text {

  int min() default 0;

  int max();

  String message() default "must be {min} to {max} characters long, not {length}";

  Class<?>[] groups() default {};

  Class<? extends Payload>[] payload() default {};

  /** Checks the stripped length and names it in the message. */
  final class Validator implements ConstraintValidator<Text, String> {

    private int min;
    private int max;

    @Override
    public void initialize(Text text) {
      this.min = text.min();
      this.max = text.max();
    }

    @Override
    public boolean isValid(String value, ConstraintValidatorContext context) {
      if (value == null) {
        return true;
      }
      var control = Inputs.CONTROL.matcher(value);
      if (control.find()) {
        var hibernate = context.unwrap(HibernateConstraintValidatorContext.class);
        hibernate.disableDefaultConstraintViolation();
        hibernate
            .addMessageParameter(
                "control", String.format("U+%04X", (int) value.charAt(control.start())))
            .buildConstraintViolationWithTemplate("must not hold control characters ({control})")
            .addConstraintViolation();
        return false;
      }
      // characters as people count them and PostgreSQL's char_length does: an emoji is one, not
      // the two UTF-16 units Java's length() counts
      String text = Inputs.strip(value);
      int length = text.codePointCount(0, text.length());
      if (length >= min && length <= max) {
        if (min == 0 || Inputs.visible(text)) {
          return true;
        }
        var hibernate = context.unwrap(HibernateConstraintValidatorContext.class);
        hibernate.disableDefaultConstraintViolation();
        hibernate
            .buildConstraintViolationWithTemplate("must hold a visible character")
            .addConstraintViolation();
        return false;
      }
      context
          .unwrap(HibernateConstraintValidatorContext.class)
          .addMessageParameter("length", length);
      return false;
    }
  }
}
