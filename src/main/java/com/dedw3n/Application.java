package com.dedw3n;

import com.dedw3n.platform.partner.PartnerCommand;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The Dedw3n GraphQL API: one federated subgraph over products, orders, posts, matches and chat.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class Application {

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals(PartnerCommand.NAME)) {
      // the operator's command: the same database and migrations, no server
      System.exit(
          SpringApplication.exit(
              new SpringApplicationBuilder(Application.class)
                  .web(WebApplicationType.NONE)
                  .bannerMode(Banner.Mode.OFF)
                  .properties("dedw3n.partners.command=true", "logging.level.root=WARN")
                  .run(args)));
    }
    SpringApplication.run(Application.class, args);
  }
}
