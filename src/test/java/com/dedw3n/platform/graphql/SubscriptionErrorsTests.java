package com.dedw3n.platform.graphql;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import com.dedw3n.platform.observability.TraceIds;
import graphql.GraphQLError;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.util.context.Context;

/**
 * The errors that end a subscription's stream carry the operation's trace id, as every other error
 * does, and so does their log line. spring-graphql resolves them outside the operation's response,
 * which the operation's observation rewrites: they had none, and a user had no reference to quote.
 */
@ExtendWith(OutputCaptureExtension.class)
class SubscriptionErrorsTests extends ApiTests {

  @Autowired ObservationRegistry observations;

  /**
   * End to end, over Server-Sent Events: a cursor from another conversation ends the stream with
   * BAD_REQUEST, which carries the trace id of the request's traceparent.
   */
  @Test
  void anErrorEndingAStreamCarriesTheRequestsTraceId() {
    var ann = signUp("Ann");
    var ben = signUp("Ben");
    String conversation =
        ann.graphQl()
            .documentName("startConversation")
            .variable("participantIds", List.of(ben.id()))
            .execute()
            .path("startConversation.id")
            .entity(String.class)
            .get();
    String traceId = HexFormat.of().formatHex(randomBytes(16));
    List<ServerSentEvent<String>> events =
        WebClient.create("http://localhost:" + port)
            .post()
            .uri("/graphql")
            .cookie("SESSION", ann.session())
            .header(
                "traceparent",
                "00-" + traceId + "-" + HexFormat.of().formatHex(randomBytes(8)) + "-01")
            .contentType(MediaType.APPLICATION_JSON)
            .accept(MediaType.TEXT_EVENT_STREAM)
            .bodyValue(
                Map.of(
                    "query",
                    "subscription($c:ID!,$a:String){messageAdded(conversationId:$c,after:$a){seq}}",
                    "variables",
                    Map.of("c", conversation, "a", KeysetCursors.of("seq", 99))))
            .retrieve()
            .bodyToFlux(new ParameterizedTypeReference<ServerSentEvent<String>>() {})
            .filter(event -> "next".equals(event.event()))
            .collectList()
            .block(Duration.ofSeconds(30));
    assertThat(events)
        .singleElement()
        .extracting(ServerSentEvent::data)
        .asString()
        .contains("BAD_REQUEST")
        .contains("\"traceId\":\"" + traceId + "\"");
  }

  private static byte[] randomBytes(int n) {
    byte[] bytes = new byte[n];
    ThreadLocalRandom.current().nextBytes(bytes);
    return bytes;
  }

  @Test
  void aFailedStreamsErrorAndLogLineCarryTheOperationsTraceId(CapturedOutput output) {
    Observation operation = Observation.start("graphql.operation", observations);
    try {
      String traceId = TraceIds.of(operation.getContext());
      assertThat(traceId).isNotNull();
      List<GraphQLError> errors =
          resolvedInTheStreamOf(operation, new IllegalStateException("a stream's own failure"));
      assertThat(errors)
          .singleElement()
          .satisfies(
              error -> {
                assertThat(error.getErrorType().toString()).isEqualTo("INTERNAL_ERROR");
                assertThat(error.getMessage()).contains("the subscription ended");
                assertThat(error.getExtensions()).containsEntry("traceId", traceId);
              });
      assertThat(output.getOut()).contains("Subscription failed [" + traceId + "]");
    } finally {
      operation.stop();
    }
  }

  @Test
  void aRefusalThatEndsAStreamKeepsItsCodeBesideTheTraceId() {
    Observation operation = Observation.start("graphql.operation", observations);
    try {
      List<GraphQLError> errors =
          resolvedInTheStreamOf(operation, ApiException.conflict("Fell behind; resubscribe."));
      assertThat(errors)
          .singleElement()
          .satisfies(
              error -> {
                assertThat(error.getErrorType().toString()).isEqualTo("CONFLICT");
                assertThat(error.getExtensions())
                    .containsEntry("traceId", TraceIds.of(operation.getContext()));
              });
    } finally {
      operation.stop();
    }
  }

  /**
   * The errors for a stream's failure, resolved as spring-graphql subscribes to the resolver: in
   * the stream's context, which has the operation's observation (OperationObservation).
   */
  private static List<GraphQLError> resolvedInTheStreamOf(Observation operation, Throwable e) {
    return new ErrorHandling()
        .resolveException(e)
        .contextWrite(Context.of(ObservationThreadLocalAccessor.KEY, operation))
        .block();
  }
}
