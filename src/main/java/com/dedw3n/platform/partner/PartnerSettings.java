package com.dedw3n.platform.partner;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param cacheFor how long each instance remembers a key's partner: a revoked key is refused
 *     everywhere within this time
 */
@ConfigurationProperties("dedw3n.partners")
record PartnerSettings(@DefaultValue("10s") Duration cacheFor) {}
