package com.dedw3n.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import reactor.core.publisher.Operators;
import reactor.netty.channel.AbortedException;
import reactor.util.context.Context;

/**
 * A client that hangs up while its response is written is not an ERROR in the log; any other error
 * that no subscriber received still is.
 */
@ExtendWith(OutputCaptureExtension.class)
class DroppedErrorsTests extends ApiTests {

  @Test
  void aClientGoneBeforeItsResponseIsNotAnError(CapturedOutput output) {
    int before = output.length();
    // what Reactor Netty signals when the client closed its connection before the response's write
    Operators.onErrorDropped(
        new AbortedException("Connection has been closed BEFORE send operation"), Context.empty());
    String logged = output.toString().substring(before);
    assertThat(logged).doesNotContain("ERROR").doesNotContain("onErrorDropped");
  }

  @Test
  void anyOtherDroppedErrorIsLoggedAsAnError(CapturedOutput output) {
    int before = output.length();
    Operators.onErrorDropped(
        new IllegalStateException("lost after its subscriber"), Context.empty());
    String logged = output.toString().substring(before);
    assertThat(logged)
        .contains("ERROR")
        .contains("no request reported it")
        .contains("lost after its subscriber");
  }
}
