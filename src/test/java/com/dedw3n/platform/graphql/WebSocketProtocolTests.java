package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.WebsocketClientSpec;

/**
 * The graphql-transport-ws protocol's own rule for bad frames, which graphql-ws clients act on: a
 * message that is not JSON, or of a type the protocol does not have, closes the socket with 4400.
 */
class WebSocketProtocolTests extends ApiTests {

  @ParameterizedTest
  @ValueSource(strings = {"not json at all", "{\"type\":\"bogus\"}", "[1,2,3]", "{\"id\":\"1\"}"})
  void aFrameThatIsNotAProtocolMessageClosesTheSocketWith4400(String frame) {
    WebSocketCloseStatus status =
        HttpClient.create()
            .websocket(WebsocketClientSpec.builder().protocols("graphql-transport-ws").build())
            .uri("ws://localhost:" + port + "/graphql")
            .handle(
                // the bad frame right after connection_init, as frames go out in order; the
                // inbound is drained to its end (cancelling it would close the socket from here)
                (inbound, outbound) ->
                    outbound
                        .sendString(Flux.just("{\"type\":\"connection_init\"}", frame))
                        .then()
                        .then(inbound.receive().then())
                        .then(inbound.receiveCloseStatus()))
            .next()
            .block(Duration.ofSeconds(20));
    assertThat(status).isNotNull();
    assertThat(status.code()).isEqualTo(4400);
  }
}
