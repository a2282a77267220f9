package com.dedw3n.platform;

import com.dedw3n.Application;
import org.junit.jupiter.api.Test;
import org.springframework.modulith.core.ApplicationModules;

/** Each feature is a module: none reaches into another's internals, and there are no cycles. */
class ModularityTests {

  @Test
  void modulesRespectTheirBoundaries() {
    ApplicationModules.of(Application.class).verify();
  }
}
