package com.dedw3n.platform.db;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Time limits of the database connections.
 *
 * @param statementTimeout PostgreSQL's {@code statement_timeout} on every connection: a backstop
 *     behind the GraphQL execution timeout, so no statement outlives its request for long
 * @param connectTimeout how long opening a connection may take before it counts as failed
 */
@ConfigurationProperties("dedw3n.db")
record DatabaseLimits(
    @DefaultValue("15s") Duration statementTimeout, @DefaultValue("5s") Duration connectTimeout) {}
