package com.dedw3n.platform.graphql;

import com.dedw3n.platform.partner.Partner;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.springframework.graphql.data.method.annotation.ContextValue;
import org.springframework.graphql.data.method.annotation.QueryMapping;
import org.springframework.stereotype.Controller;

/** The registered operations and their prices: what a partner may call and what it costs. */
@Controller
class PersistedOperationController {

  /** A registered operation as the schema shows it. */
  record PersistedOperation(String id, String name, String type, long price, String body) {}

  private final TrustedDocuments trusted;

  PersistedOperationController(TrustedDocuments trusted) {
    this.trusted = trusted;
  }

  @QueryMapping
  List<PersistedOperation> persistedOperations(
      @ContextValue(name = PersistedQueries.PARTNER, required = false) @Nullable Partner partner) {
    return trusted.all().stream()
        .filter(operation -> partner == null || PersistedQueries.mayCall(partner, operation))
        .map(
            operation ->
                new PersistedOperation(
                    operation.id(),
                    operation.name(),
                    operation.kind().name().toLowerCase(Locale.ROOT),
                    operation.price(),
                    operation.body()))
        .toList();
  }
}
