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
    // what Reactor Netty signals when the client closed its connection before the response's write
    String logged =
        loggedWhenDropped(
            output, new AbortedException("Connection has been closed BEFORE send operation"));
    assertThat(logged).doesNotContain("ERROR").doesNotContain("onErrorDropped");
  }

  @Test
  void anyOtherDroppedErrorIsLoggedAsAnError(CapturedOutput output) {
    String logged =
        loggedWhenDropped(output, new IllegalStateException("lost after its subscriber"));
    assertThat(logged)
        .contains("ERROR")
        .contains("no request reported it")
        .contains("lost after its subscriber");
  }

  private static String loggedWhenDropped(CapturedOutput output, Throwable error) {
    int before = output.length();
    Operators.onErrorDropped(error, Context.empty());
    return output.toString().substring(before);
  }
}
