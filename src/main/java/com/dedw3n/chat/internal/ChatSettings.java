package com.dedw3n.chat.internal;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Realtime chat settings.
 *
 * @param subscriptionBuffer events one subscription may hold for a client that does not keep up;
 *     past it the subscription ends with an error telling the client to resume
 * @param sweepInterval how often each instance checks PostgreSQL for messages whose notification
 *     never arrived (a lost Redis message), and delivers them
 * @param typingFor how long a typing indicator lasts unless renewed
 * @param typingRepeat how long an instance ignores a participant's {@code setTyping} in a
 *     conversation after publishing one (an app that sends it at every keystroke made as many
 *     events for every other participant)
 * @param redisChannel the Redis channel the instances of one deployment share (deployments that
 *     share a Redis need different channels)
 * @param publishTimeout how long publishing one event to Redis may take, in the background
 * @param readTimeout how long one of the instance's own reads may take (a sweep, a page of what a
 *     feed or a subscriber missed) before it is stopped, its statements cancelled and their
 *     connections retired; longer than PostgreSQL's statement_timeout (15 s), so that it stops only
 *     reads that the network holds up, and the next notification or sweep reads again
 */
@ConfigurationProperties("dedw3n.chat")
record ChatSettings(
    @DefaultValue("256") int subscriptionBuffer,
    @DefaultValue("5s") Duration sweepInterval,
    @DefaultValue("5s") Duration typingFor,
    @DefaultValue("1s") Duration typingRepeat,
    @DefaultValue("dedw3n:chat") String redisChannel,
    @DefaultValue("1s") Duration publishTimeout,
    @DefaultValue("20s") Duration readTimeout) {}
