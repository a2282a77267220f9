package com.dedw3n.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.mock.env.MockEnvironment;

/** Where the actuator listens outside the development profile. */
class ManagementPortEnvironmentTests {

  private static MockEnvironment processed(MockEnvironment env) {
    new ManagementPortEnvironment().postProcessEnvironment(env, new SpringApplication());
    return env;
  }

  @Test
  void theActuatorHasAPortOfItsOwnByDefault() {
    var env = processed(new MockEnvironment().withProperty("server.port", "8080"));
    assertThat(env.getProperty("management.server.port")).isEqualTo("8081");
    assertThat(
            processed(
                    new MockEnvironment()
                        .withProperty("server.port", "8080")
                        .withProperty("MANAGEMENT_PORT", "9100"))
                .getProperty("management.server.port"))
        .isEqualTo("9100");
    // an empty value, as a template that passes MANAGEMENT_PORT on when unset gives it, is unset
    assertThat(
            processed(
                    new MockEnvironment()
                        .withProperty("server.port", "8080")
                        .withProperty("MANAGEMENT_PORT", " "))
                .getProperty("management.server.port"))
        .isEqualTo("8081");
  }

  /**
   * PORT=8081 alone would have put health details, metrics and Prometheus on the public port: Boot
   * mounts the actuator on the application's port when the two are equal.
   */
  @Test
  void anApplicationOnTheDefaultManagementPortDoesNotStart() {
    assertThatIllegalStateException()
        .isThrownBy(() -> processed(new MockEnvironment().withProperty("server.port", "8081")))
        .withMessageContaining("MANAGEMENT_PORT");
    // said on purpose, as the benchmark does
    var same =
        processed(
            new MockEnvironment()
                .withProperty("server.port", "8081")
                .withProperty("MANAGEMENT_PORT", "8081"));
    assertThat(same.getProperty("management.server.port")).isEqualTo("8081");
  }

  @Test
  void inDevelopmentTheActuatorStaysOnTheApplicationsPort() {
    var env = new MockEnvironment().withProperty("server.port", "8081");
    env.setActiveProfiles("dev");
    assertThat(processed(env).getProperty("management.server.port")).isNull();
  }
}
