package com.dedw3n.platform;

import com.dedw3n.Application;
import org.junit.jupiter.api.Test;
import org.springframework.modulith.core.ApplicationModules;
import org.springframework.modulith.docs.Documenter;

/**
 * Each feature is a module: none reaches into another's internals (sub-packages), each uses only
 * the modules its package-info allows, and there are no cycles. The module diagram and canvases are
 * written to target/spring-modulith-docs.
 */
class ModularityTests {

  private final ApplicationModules modules = ApplicationModules.of(Application.class);

  @Test
  void modulesRespectTheirBoundaries() {
    modules.verify();
  }

  @Test
  void theModuleDiagramIsWritten() {
    new Documenter(modules).writeDocumentation();
  }
}
