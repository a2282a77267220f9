package com.dedw3n.platform.partner;

import com.dedw3n.platform.graphql.TrustedDocuments;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The operator command exists only when the jar was started to run it ({@link PartnerCommand}). */
@Configuration(proxyBeanMethods = false)
class PartnerConfiguration {

  static final String COMMAND = "dedw3n.partners.command";

  @Bean
  @ConditionalOnBooleanProperty(COMMAND)
  PartnerCommand partnerCommand(Partners partners, TrustedDocuments manifest) {
    return new PartnerCommand(partners, manifest, System.out);
  }
}
