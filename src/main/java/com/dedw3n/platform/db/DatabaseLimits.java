package com.dedw3n.platform.db;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Limits of the database connections.
 *
 * @param statementTimeout PostgreSQL's {@code statement_timeout} on every connection: a backstop
 *     behind the GraphQL execution timeout, so no statement outlives its request for long
 * @param connectTimeout how long opening a connection may take before it counts as failed
 * @param slowStatement a statement that takes longer is logged (a warning with its duration, its
 *     GraphQL operation and its SQL, never its values)
 * @param probeInterval how often the database is probed with a timed {@code SELECT 1}, as an
 *     operator would, whether requests come or not ({@link DatabaseProbe})
 * @param maxUses a pooled connection is closed after this many uses (acquisitions), as well as
 *     after {@code spring.r2dbc.pool.max-life-time}; 0 for no limit ({@link ConnectionRetirement})
 * @param statementSpans a span per SQL statement, the child of its GraphQL operation's span, in the
 *     traces that are sampled ({@link StatementDurations})
 */
@ConfigurationProperties("dedw3n.db")
record DatabaseLimits(
    @DefaultValue("15s") Duration statementTimeout,
    @DefaultValue("5s") Duration connectTimeout,
    @DefaultValue("1000ms") Duration slowStatement,
    @DefaultValue("1m") Duration probeInterval,
    @DefaultValue("7500") int maxUses,
    @DefaultValue("true") boolean statementSpans) {}
