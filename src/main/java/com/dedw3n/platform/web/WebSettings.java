package com.dedw3n.platform.web;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Who may call the API from where.
 *
 * @param allowedOrigins browser origins allowed to open the GraphQL WebSocket (Spring origin
 *     patterns), from {@code ALLOWED_ORIGINS}
 * @param trustedProxies address ranges whose {@code X-Forwarded-For} is believed (load balancers,
 *     the gateway)
 * @param drainDelay on shutdown, how long the server keeps serving (not ready, closing every
 *     connection after its response) before it stops accepting connections, from {@code
 *     SHUTDOWN_DRAIN_DELAY}
 * @param readTimeout how long a request's body may go without a byte before its connection is
 *     closed (a client that stops halfway would otherwise hold the buffers of what it sent for as
 *     long as it keeps the connection open)
 */
@ConfigurationProperties("dedw3n.web")
public record WebSettings(
    List<String> allowedOrigins,
    List<String> trustedProxies,
    @DefaultValue("5s") Duration drainDelay,
    @DefaultValue("10s") Duration readTimeout) {}
