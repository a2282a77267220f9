package com.dedw3n.platform.db;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** The periodic database probe times a SELECT 1 through the pool and records it. */
class DatabaseProbeTests extends ApiTests {

  @Autowired DatabaseProbe probe;
  @Autowired MeterRegistry meters;

  @Test
  void aProbeIsTimedAndRecorded() {
    long before = meters.get("dedw3n.db.probe").timer().count();
    Duration took = probe.probe().block(Duration.ofSeconds(15));
    assertThat(took).isNotNull().isPositive();
    assertThat(meters.get("dedw3n.db.probe").timer().count()).isEqualTo(before + 1);
    assertThat(probe.isRunning()).isTrue();
  }
}
