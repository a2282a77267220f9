package com.dedw3n.platform.graphql;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * What one GraphQL request may ask for and how long it may take. The document limits are checked
 * before anything executes, so a refused request costs no SQL.
 *
 * @param maxDepth fields nested in fields, counted through fragments (the W1 feed is 8 deep)
 * @param maxAliasesPerField times one field name may be aliased in a request
 * @param maxAliases aliases in a request in all
 * @param maxRootFields fields at the top of an operation
 * @param maxDirectivesPerField directives on any one field
 * @param maxCost the static cost (see {@link OperationCost}) above which a request is refused
 * @param defaultListSize the assumed length of a list the schema gives no size for
 * @param maxErrors errors in one response; the rest are summarised in one more
 * @param maxResponseSize the largest response body; larger ones are replaced by an error
 * @param executionTimeout how long a query or mutation may execute (its SQL is cancelled then)
 * @param queueTimeout how long a request may wait for its turn to execute
 * @param gatewaySecret the value of the {@code X-Gateway-Secret} header that lets a request read
 *     {@code _service} when {@code serviceOpen} is false; empty: nobody may
 * @param serviceOpen whether anyone may read {@code _service} (the development profile)
 * @param enabled false switches every check of {@link OperationGuard} off, cost and budgets
 *     included: only to measure what they cost (the benchmark's A/B), never in production
 */
@ConfigurationProperties("dedw3n.graphql.limits")
public record OperationLimits(
    @DefaultValue("10") int maxDepth,
    @DefaultValue("15") int maxAliasesPerField,
    @DefaultValue("50") int maxAliases,
    @DefaultValue("20") int maxRootFields,
    @DefaultValue("5") int maxDirectivesPerField,
    @DefaultValue("5000") long maxCost,
    @DefaultValue("10") int defaultListSize,
    @DefaultValue("100") int maxErrors,
    @DefaultValue("2MB") DataSize maxResponseSize,
    @DefaultValue("10s") Duration executionTimeout,
    @DefaultValue("2s") Duration queueTimeout,
    @DefaultValue("") String gatewaySecret,
    @DefaultValue("false") boolean serviceOpen,
    @DefaultValue("true") boolean enabled) {

  /** The whole request's deadline: its wait for a turn, its execution and a moment to answer. */
  public Duration requestDeadline() {
    return queueTimeout.plus(executionTimeout).plusSeconds(1);
  }
}
