package com.dedw3n.platform.web;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Who may call the API from where.
 *
 * @param allowedOrigins browser origins allowed to open the GraphQL WebSocket (Spring origin
 *     patterns), from {@code ALLOWED_ORIGINS}
 * @param trustedProxies address ranges whose {@code X-Forwarded-For} is believed (load balancers,
 *     the gateway)
 */
@ConfigurationProperties("dedw3n.web")
public record WebSettings(List<String> allowedOrigins, List<String> trustedProxies) {}
