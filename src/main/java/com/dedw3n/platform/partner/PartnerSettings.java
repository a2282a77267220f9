package com.dedw3n.platform.partner;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param cacheFor how long each instance remembers a key's partner: a revoked key is refused
 *     everywhere within this time
 * @param lookupTimeout how long a key's lookup may take, a wait for a pool connection (5 s at most)
 *     included: it runs before the request's execution deadline, and the requests with one key
 *     share it, so a database that stops answering would otherwise hold them all until the
 *     connection's TCP gives up, minutes later
 */
@ConfigurationProperties("dedw3n.partners")
record PartnerSettings(
    @DefaultValue("10s") Duration cacheFor, @DefaultValue("6s") Duration lookupTimeout) {}
