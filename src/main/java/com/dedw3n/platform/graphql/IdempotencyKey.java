package com.dedw3n.platform.graphql;

import static java.lang.annotation.ElementType.FIELD;
import static java.lang.annotation.ElementType.PARAMETER;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import jakarta.validation.Constraint;
import jakarta.validation.Payload;
import jakarta.validation.ReportAsSingleViolation;
import jakarta.validation.constraints.Pattern;
import java.lang.annotation.Documented;
import java.lang.annotation.Retention;
import java.lang.annotation.Target;

/**
 * A key a client picks for one write and sends again when it retries it (placeOrder, refund,
 * sendMessage): 1 to 64 printable ASCII characters, so a UUID fits and no key can hide a control
 * character or differ from another only in how it is encoded. Null is valid where the argument is
 * optional.
 */
@Documented
@Constraint(validatedBy = {})
@Pattern(regexp = "[\\x21-\\x7E]{1,64}")
@ReportAsSingleViolation
@Target({FIELD, PARAMETER})
@Retention(RUNTIME)
public @interface IdempotencyKey {

  String message() default "must be 1 to 64 printable ASCII characters (a UUID, say)";

  Class<?>[] groups() default {};

  Class<? extends Payload>[] payload() default {};
}
