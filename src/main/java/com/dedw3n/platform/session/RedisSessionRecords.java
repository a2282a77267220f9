package com.dedw3n.platform.session;

import com.dedw3n.platform.RedisReplies;
import io.lettuce.core.KeyValue;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.connection.lettuce.LettuceConnection;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import reactor.core.publisher.Mono;

/**
 * Spring Session's records in Redis, read with one HMGET of the four fields a request needs on
 * Lettuce's asynchronous API (the shared connection of Spring Data Redis, with its fail-fast
 * options and command timeout). Spring Session itself reads a whole record with a reactive HGETALL
 * and turns every value into an object: measured on W3 at about 4 % of the server's CPU in the
 * reactive command path and 1 % in Java deserialisation, where this costs a fraction of that.
 */
final class RedisSessionRecords implements SessionRecords {

  // the hash fields ReactiveRedisSessionRepository writes (RedisSessionMapper's names)
  private static final byte[][] FIELDS = {
    bytes("sessionAttr:" + SessionStore.USER_ID),
    bytes("sessionAttr:" + SessionStore.CREATED_AT),
    bytes("lastAccessedTime"),
    bytes("maxInactiveInterval")
  };

  private final LettuceConnectionFactory connections;
  private final String keyPrefix;

  /**
   * @param keyPrefix what precedes the session id in a record's key: Spring Session's namespace, a
   *     colon and {@code sessions:}
   */
  RedisSessionRecords(LettuceConnectionFactory connections, String keyPrefix) {
    this.connections = connections;
    this.keyPrefix = keyPrefix;
  }

  @Override
  public Mono<Found> find(String id) {
    return Mono.defer(
            () -> Mono.fromCompletionStage(commands().hmget(bytes(keyPrefix + id), FIELDS)))
        .transform(RedisReplies::offIoThread)
        .mapNotNull(RedisSessionRecords::found);
  }

  @SuppressWarnings("unchecked")
  private RedisClusterAsyncCommands<byte[], byte[]> commands() {
    // a view of the shared native connection, which Lettuce reconnects by itself; the view owns
    // nothing to release (no dedicated connection is taken for plain commands)
    var connection = (LettuceConnection) connections.getConnection();
    return connection.getNativeConnection();
  }

  private static @Nullable Found found(List<KeyValue<byte[], byte[]>> values) {
    Long userId = value(values, 0, Long.class);
    Long createdAt = value(values, 1, Long.class);
    Long lastAccessed = value(values, 2, Long.class);
    Integer maxInactive = value(values, 3, Integer.class);
    if (userId == null || createdAt == null || lastAccessed == null || maxInactive == null) {
      return null; // no record, or one being deleted as it was read
    }
    return new Found(
        userId,
        Instant.ofEpochMilli(createdAt),
        Instant.ofEpochMilli(lastAccessed),
        Duration.ofSeconds(maxInactive));
  }

  private static <T> @Nullable T value(
      List<KeyValue<byte[], byte[]>> values, int index, Class<T> type) {
    var value = values.get(index);
    if (!value.hasValue()) {
      return null;
    }
    Object decoded = SessionValues.INSTANCE.deserialize(value.getValue());
    return type.isInstance(decoded) ? type.cast(decoded) : null;
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
