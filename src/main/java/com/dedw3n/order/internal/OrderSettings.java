package com.dedw3n.order.internal;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The order feature's settings ({@code dedw3n.order}).
 *
 * @param unpaidExpiry how long a placed order keeps its stock waiting for payment; then it is
 *     cancelled and the stock returns
 * @param statusRecheck how often an {@code orderStatusChanged} subscription re-reads its order, to
 *     see changes committed by other instances (this instance's own arrive at once)
 */
@ConfigurationProperties("dedw3n.order")
record OrderSettings(Duration unpaidExpiry, Duration statusRecheck) {}
