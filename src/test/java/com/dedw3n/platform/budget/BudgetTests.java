package com.dedw3n.platform.budget;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.Instances;
import com.dedw3n.TestClock;
import com.dedw3n.platform.db.StatementCounter;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.util.StringUtils;
import redis.embedded.RedisServer;

/**
 * Budgets through the API: two instances sharing one Redis spend one budget, refusals are HTTP 429
 * with Retry-After, budgets come back as the (test's) clock moves, password guessing is throttled
 * per account and per address, and an instance whose Redis is unreachable keeps its budgets in
 * memory without waiting for Redis. Uses the Redis at REDIS_URL when set, otherwise starts one.
 */
class BudgetTests {

  static RedisServer redis;
  static String redisUrl;
  static final TestClock clock = new TestClock(Instant.parse("2026-12-01T10:00:00Z"));
  static ConfigurableApplicationContext a;
  static ConfigurableApplicationContext b;
  static ConfigurableApplicationContext alone;

  @BeforeAll
  static void startTwoInstances() throws IOException {
    redisUrl = System.getenv("REDIS_URL");
    if (!StringUtils.hasText(redisUrl)) {
      int port = freePort();
      redis = RedisServer.newRedisServer().port(port).setting("bind 127.0.0.1").build();
      redis.start();
      redisUrl = "redis://127.0.0.1:" + port;
    }
    // keys of our own, so other runs sharing this Redis cannot spend these budgets
    String prefix = "dedw3n:test:" + UUID.randomUUID() + ":";
    a = instance(redisUrl, prefix);
    // as on Kubernetes, where Boot would by itself let Reactor Netty take the client's address from
    // X-Forwarded-For
    b = instance(redisUrl, prefix, "--spring.main.cloud-platform=kubernetes");
    // an instance whose Redis never answers: nothing listens on that port
    alone = instance("redis://127.0.0.1:" + freePort(), "dedw3n:test:" + UUID.randomUUID() + ":");
  }

  @AfterAll
  static void stop() throws IOException {
    if (a != null) a.close();
    if (b != null) b.close();
    if (alone != null) alone.close();
    if (redis != null) redis.stop();
  }

  static ConfigurableApplicationContext instance(String redisUrl, String prefix, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--server.port=0",
                "--spring.data.redis.url=" + redisUrl,
                "--dedw3n.chat.redis-channel=" + prefix + "chat",
                "--dedw3n.budgets.redis-key-prefix=" + prefix,
                "--dedw3n.budgets.anonymous-cost.capacity=30",
                "--dedw3n.budgets.anonymous-cost.refill=5",
                "--dedw3n.budgets.anonymous-cost.per=1s",
                "--dedw3n.budgets.sign-in-per-account.capacity=3",
                "--dedw3n.budgets.sign-in-per-account.refill=3",
                "--dedw3n.budgets.sign-in-per-account.per=10m",
                "--dedw3n.budgets.sign-in-per-address.capacity=5",
                "--dedw3n.budgets.sign-in-per-address.refill=5",
                "--dedw3n.budgets.sign-in-per-address.per=1m",
                "--dedw3n.budgets.messages.capacity=3",
                "--dedw3n.budgets.messages.refill=3",
                "--dedw3n.budgets.messages.per=1m",
                "--dedw3n.budgets.comments.capacity=2",
                "--dedw3n.budgets.comments.refill=2",
                "--dedw3n.budgets.comments.per=1h",
                "--dedw3n.budgets.products.capacity=2",
                "--dedw3n.budgets.products.refill=2",
                "--dedw3n.budgets.products.per=1h",
                "--dedw3n.budgets.reviews.capacity=1",
                "--dedw3n.budgets.reviews.refill=1",
                "--dedw3n.budgets.reviews.per=1h",
                "--dedw3n.budgets.profile-likes.capacity=2",
                "--dedw3n.budgets.profile-likes.refill=2",
                "--dedw3n.budgets.profile-likes.per=12h",
                "--dedw3n.budgets.partner-keys-per-address.capacity=3",
                "--dedw3n.budgets.partner-keys-per-address.refill=3",
                "--dedw3n.budgets.partner-keys-per-address.per=1h"));
    args.addAll(List.of(more));
    return Instances.builder()
        .initializers(context -> context.getBeanFactory().registerSingleton("testClock", clock))
        .run(args.toArray(String[]::new));
  }

  /**
   * A budget's new setting reaches a caller who keeps spending: a bucket kept the rate it was
   * created with, and Redis renewed it at every use, so lowering the sign-in budget of an account
   * under attack, or raising a partner's, never applied to them.
   */
  @Test
  void aChangedRateAppliesToABucketInUse() {
    String key = "rate-change:" + UUID.randomUUID();
    var before = new BudgetSettings.Rate(3, 3, Duration.ofHours(1));
    var after = new BudgetSettings.Rate(10, 10, Duration.ofHours(1));
    Budgets onA = a.getBean(Budgets.class);
    Budgets onB = b.getBean(Budgets.class);
    for (int i = 0; i < 3; i++) {
      assertThat(onA.take(key, before, 1).block().allowed()).isTrue();
    }
    assertThat(onB.take(key, before, 1).block().allowed()).as("spent on every instance").isFalse();
    assertThat(onB.take(key, after, 1).block().allowed()).as("the new rate's own bucket").isTrue();
    for (int i = 0; i < 9; i++) {
      assertThat(onA.take(key, after, 1).block().allowed()).isTrue();
    }
    assertThat(onB.take(key, after, 1).block().allowed()).isFalse();
  }

  @Test
  void twoInstancesSpendOneCostBudgetAndItComesBackWithTime() {
    // ten users: 10 points, and ten come back, so the actual cost gives nothing back
    String ten = tenUsers(signUp(a, "cost-" + UUID.randomUUID() + "@example.com").id());
    String address = randomAddress();

    var first = post(a, ten, address);
    assertThat(first.getStatus().value()).isEqualTo(200);
    assertThat(throttle(first).get("currentlyAvailable")).isEqualTo(20);
    var second = post(b, ten, address);
    assertThat(second.getStatus().value()).isEqualTo(200);
    assertThat(throttle(second).get("currentlyAvailable")).isEqualTo(10);
    assertThat(post(a, ten, address).getStatus().value()).isEqualTo(200);

    long statementsBefore = statements(b);
    var refused = post(b, ten, address);
    assertThat(refused.getStatus().value()).isEqualTo(429);
    // 10 points at 5 a second
    assertThat(refused.getResponseHeaders().getFirst("Retry-After")).isEqualTo("2");
    assertThat(refused.getResponseBody().toString()).contains("RATE_LIMITED");
    assertThat(throttle(refused))
        .containsEntry("maximumAvailable", 30)
        .containsEntry("currentlyAvailable", 0);
    assertThat(statements(b)).isEqualTo(statementsBefore);

    // another address has its own budget
    assertThat(post(b, ten, randomAddress()).getStatus().value()).isEqualTo(200);

    clock.advance(Duration.ofSeconds(2));
    assertThat(post(a, ten, address).getStatus().value()).isEqualTo(200);
  }

  /**
   * Each key an instance has not looked up is a database statement before any other budget: an
   * address may guess only so many, and a key found (a partner's, looked up again each time the
   * cache forgets it) costs nothing.
   */
  @Test
  void guessedPartnerKeysAreLimitedPerAddressAndAKeyFoundCostsNothing() {
    var partners = b.getBean(com.dedw3n.platform.partner.Partners.class);
    String feed =
        b.getBean(com.dedw3n.platform.graphql.TrustedDocuments.class).all().stream()
            .filter(operation -> operation.name().equals("productFeed"))
            .findFirst()
            .orElseThrow()
            .id();
    String name = "guessed-" + UUID.randomUUID();
    String key = partners.create(name, List.of(feed), 20_000, 2_000).block().key();
    String address = randomAddress();
    for (int call = 0; call < 5; call++) {
      assertThat(partnerCall(b, key, feed, address).getStatus().value())
          .as("the partner's call %d", call + 1)
          .isEqualTo(200);
    }
    for (int guess = 0; guess < 3; guess++) {
      var refused = partnerCall(b, "dpk_guess-" + UUID.randomUUID(), feed, address);
      assertThat(refused.getStatus().value()).as("guess %d", guess + 1).isEqualTo(401);
      assertThat(refused.getResponseBody()).asString().contains("PARTNER_KEY_INVALID");
    }
    String fourth = "dpk_guess-" + UUID.randomUUID();
    var limited = partnerCall(b, fourth, feed, address);
    assertThat(limited.getStatus().value()).isEqualTo(429);
    assertThat(limited.getResponseHeaders().getFirst("Retry-After")).isNotBlank();
    assertThat(limited.getResponseBody()).asString().contains("RATE_LIMITED");
    assertThat(partners.known(fourth)).as("the refused guess was looked up").isFalse();

    // the partner's own key is known to this instance: still served from that address, also once
    // the cache has forgotten its lookup (as it does every cache-for), which is made again
    assertThat(partnerCall(b, key, feed, address).getStatus().value()).isEqualTo(200);
    partners.allow(name, List.of(feed)).block(); // empties the cache
    assertThat(partnerCall(b, key, feed, address).getStatus().value()).isEqualTo(200);
    // another address has its own budget
    assertThat(partnerCall(b, fourth, feed, randomAddress()).getStatus().value()).isEqualTo(401);
  }

  static EntityExchangeResult<byte[]> partnerCall(
      ConfigurableApplicationContext instance, String key, String operationId, String address) {
    return client(instance)
        .post()
        .uri("/graphql")
        .header("X-Forwarded-For", address)
        .header("X-Api-Key", key)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(
            Map.of(
                "variables",
                Map.of("category", "books", "first", 1),
                "extensions",
                Map.of("persistedQuery", Map.of("version", 1, "sha256Hash", operationId))))
        .exchange()
        .expectBody()
        .returnResult();
  }

  /**
   * A proxy appends the address it saw to X-Forwarded-For; what a client wrote to its left is the
   * client's to choose. Only the server's own reading of the header (ClientAddress: the right-most
   * address not of a trusted proxy) may name the client, on every platform: otherwise a fresh
   * left-most address every request is a fresh budget every request.
   */
  @Test
  void aClientsOwnForwardedForGivesItNoFreshBudget() {
    String ten = tenUsers(signUp(a, "spoof-" + UUID.randomUUID() + "@example.com").id());
    // documentation ranges, not a trusted proxy's: the client as the proxy saw it, and what the
    // client wrote, new every request
    var random = java.util.concurrent.ThreadLocalRandom.current();
    String client = "203.0.113." + random.nextInt(1, 255);
    for (int request = 0; request < 4; request++) {
      String spoofed = "198.51.100." + random.nextInt(1, 255);
      assertThat(post(b, ten, spoofed + ", " + client).getStatus().value())
          .as("request %d", request + 1)
          .isEqualTo(request < 3 ? 200 : 429);
    }
  }

  /**
   * An IPv6 client usually holds a whole /64 and may send each request from another of its
   * addresses: its requests spend one budget, the /64's.
   */
  @Test
  void anIpv6ClientGetsNoFreshBudgetFromAnotherAddressOfItsSlash64() {
    String ten = tenUsers(signUp(a, "v6-" + UUID.randomUUID() + "@example.com").id());
    var random = java.util.concurrent.ThreadLocalRandom.current();
    String network = "2001:db8:" + Integer.toHexString(random.nextInt(1, 0xffff)) + ":1:";
    for (int request = 0; request < 4; request++) {
      String client = network + Integer.toHexString(random.nextInt(1, 0xffff)) + "::1";
      assertThat(post(b, ten, client).getStatus().value())
          .as("request %d from %s", request + 1, client)
          .isEqualTo(request < 3 ? 200 : 429);
    }
  }

  @Test
  void passwordGuessingIsThrottledPerAccountOnEveryInstance() {
    String email = "guess-" + UUID.randomUUID() + "@example.com";
    signUp(a, email);
    for (int attempt = 0; attempt < 3; attempt++) {
      assertThat(signIn(a, email, "wrong password", randomAddress()).getResponseBody().toString())
          .contains("UNAUTHORIZED");
    }
    var right = signIn(a, email, "correct horse battery", randomAddress());
    assertThat(right.getStatus().value()).isEqualTo(429);
    assertThat(Long.parseLong(right.getResponseHeaders().getFirst("Retry-After"))).isPositive();
    assertThat(signIn(b, email, "correct horse battery", randomAddress()).getStatus().value())
        .isEqualTo(429);
  }

  /**
   * Checking the current password of changePassword is a guess at the account's password like a
   * sign-in: both spend one budget, the account's, so a stolen session gets no second one.
   */
  @Test
  void changePasswordGuessesSpendTheAccountsSignInBudget() {
    String email = "change-" + UUID.randomUUID() + "@example.com";
    var account = signUp(a, email);
    String change =
        "mutation($c:String!,$n:String!){changePassword(currentPassword:$c,newPassword:$n)}";
    for (int attempt = 0; attempt < 3; attempt++) {
      var wrong =
          graphQl(
              a,
              account.session(),
              change,
              Map.of("c", "a guess " + attempt, "n", "whatever it is"));
      assertThat(wrong.getResponseBody().toString()).contains("UNAUTHORIZED");
    }
    assertThat(signIn(b, email, "correct horse battery", randomAddress()).getStatus().value())
        .isEqualTo(429);
  }

  @Test
  void signingInWithTheRightPasswordIsNeverThrottled() {
    String email = "often-" + UUID.randomUUID() + "@example.com";
    signUp(a, email);
    for (int attempt = 0; attempt < 6; attempt++) {
      var answer =
          signIn(attempt % 2 == 0 ? a : b, email, "correct horse battery", randomAddress());
      assertThat(answer.getStatus().value()).isEqualTo(200);
      assertThat(answer.getResponseBody().get("errors")).isNull();
    }
  }

  @Test
  void passwordGuessingIsThrottledPerAddressAcrossAccounts() {
    String address = randomAddress();
    for (int attempt = 0; attempt < 5; attempt++) {
      String unknown = "nobody-" + UUID.randomUUID() + "@example.com";
      assertThat(signIn(attempt % 2 == 0 ? a : b, unknown, "anything", address).getStatus().value())
          .isEqualTo(200);
    }
    String another = "nobody-" + UUID.randomUUID() + "@example.com";
    var refused = signIn(a, another, "anything", address);
    assertThat(refused.getStatus().value()).isEqualTo(429);
    assertThat(refused.getResponseBody().toString()).contains("from your address");

    clock.advance(Duration.ofMinutes(1));
    assertThat(signIn(b, another, "anything", address).getStatus().value()).isEqualTo(200);
  }

  static final String SEND =
      "mutation($c:ID!,$b:String!,$k:String){sendMessage(conversationId:$c,body:$b,"
          + "idempotencyKey:$k){seq}}";

  @Test
  void messagesBeyondTheBudgetAreRefusedAndNotStored() {
    var ann = signUp(a, "ann-" + UUID.randomUUID() + "@example.com");
    var ben = signUp(a, "ben-" + UUID.randomUUID() + "@example.com");
    String conversation = startConversation(ann, ben.id());
    String key = UUID.randomUUID().toString();
    for (int i = 1; i <= 3; i++) {
      // sessions live in one instance's memory (until the sessions issue), so all through a
      var sent =
          graphQl(
              a,
              ann.session(),
              SEND,
              i == 3
                  ? Map.of("c", conversation, "b", "m3", "k", key)
                  : Map.of("c", conversation, "b", "m" + i));
      assertThat(sent.getStatus().value()).isEqualTo(200);
    }
    var refused = graphQl(a, ann.session(), SEND, Map.of("c", conversation, "b", "m4"));
    assertThat(refused.getStatus().value()).as("%s", refused.getResponseBody()).isEqualTo(429);
    assertThat(refused.getResponseBody().toString()).contains("Too many messages");
    // a retry of a stored send is answered its message, budget or not; a new one with a key is not
    var retried = graphQl(a, ann.session(), SEND, Map.of("c", conversation, "b", "m3", "k", key));
    assertThat(retried.getStatus().value()).as("%s", retried.getResponseBody()).isEqualTo(200);
    assertThat(retried.getResponseBody().toString()).contains("seq=3").doesNotContain("errors");
    var fresh =
        graphQl(
            a,
            ann.session(),
            SEND,
            Map.of("c", conversation, "b", "m4", "k", UUID.randomUUID().toString()));
    assertThat(fresh.getStatus().value()).as("%s", fresh.getResponseBody()).isEqualTo(429);
    var page =
        graphQl(
            a,
            ben.session(),
            "query($c:ID!){conversation(id:$c){messages(last:10){edges{node{body}}}}}",
            Map.of("c", conversation));
    assertThat(page.getResponseBody().toString()).contains("m3").doesNotContain("m4");
  }

  /**
   * A write refused without changing anything costs no budget: a comment on a post that is gone, a
   * message to a conversation one is not in, a review of no product. Only stored writes spend it.
   */
  @Test
  void writesRefusedWithoutChangingAnythingCostNoBudget() {
    var ann = signUp(a, "ann-" + UUID.randomUUID() + "@example.com");
    var ben = signUp(a, "ben-" + UUID.randomUUID() + "@example.com");
    String comment = "mutation($p:ID!){addComment(postId:$p,body:\"hi\"){id}}";
    String send = "mutation($c:ID!){sendMessage(conversationId:$c,body:\"hi\"){seq}}";
    String review = "mutation($p:ID!){addReview(productId:$p,rating:4,body:\"ok\"){id}}";
    String bens = startConversation(ben, signUp(a, "cy-" + UUID.randomUUID() + "@x.com").id());
    for (int i = 0; i < 4; i++) {
      assertThat(graphQl(a, ann.session(), comment, Map.of("p", "999999999")).getResponseBody())
          .as("comment %d", i + 1)
          .asString()
          .contains("NOT_FOUND");
      assertThat(graphQl(a, ann.session(), send, Map.of("c", bens)).getResponseBody())
          .as("message %d", i + 1)
          .asString()
          .contains("NOT_FOUND");
      assertThat(graphQl(a, ann.session(), review, Map.of("p", "999999999")).getResponseBody())
          .as("review %d", i + 1)
          .asString()
          .contains("NOT_FOUND");
    }
    String post =
        (String)
            ((Map<?, ?>)
                    data(graphQl(
                            a, ben.session(), "mutation{createPost(body:\"p\"){id}}", Map.of()))
                        .get("createPost"))
                .get("id");
    for (int i = 0; i < 2; i++) {
      var stored = graphQl(a, ann.session(), comment, Map.of("p", post));
      assertThat(stored.getStatus().value()).as("%s", stored.getResponseBody()).isEqualTo(200);
      assertThat(stored.getResponseBody().get("errors"))
          .as("%s", stored.getResponseBody())
          .isNull();
    }
    assertThat(graphQl(a, ann.session(), comment, Map.of("p", post)).getStatus().value())
        .isEqualTo(429);
  }

  /**
   * A message sent again with its idempotency key (an offline queue retrying what it lost the
   * answer to) is answered its stored message and stores nothing: it spends no message.
   */
  @Test
  void aRetriedMessageSpendsNoBudget() {
    var ann = signUp(a, "ann-" + UUID.randomUUID() + "@example.com");
    var ben = signUp(a, "ben-" + UUID.randomUUID() + "@example.com");
    String conversation = startConversation(ann, ben.id());
    String key = UUID.randomUUID().toString();
    for (int i = 0; i < 3; i++) {
      var sent = graphQl(a, ann.session(), SEND, Map.of("c", conversation, "b", "once", "k", key));
      assertThat(sent.getResponseBody().toString()).as("send %d", i + 1).contains("seq=1");
    }
    for (int i = 2; i <= 3; i++) {
      var sent =
          graphQl(
              a,
              ann.session(),
              SEND,
              Map.of("c", conversation, "b", "m" + i, "k", UUID.randomUUID().toString()));
      assertThat(sent.getStatus().value()).as("%s", sent.getResponseBody()).isEqualTo(200);
      assertThat(sent.getResponseBody().toString()).contains("seq=" + i);
    }
  }

  /** Each listing shows in a public feed: one account cannot fill the feeds. */
  @Test
  void productsBeyondTheBudgetAreRefusedAndNotListed() {
    var seller = signUp(a, "seller-" + UUID.randomUUID() + "@example.com");
    String category = "c-" + UUID.randomUUID().toString().substring(0, 8);
    String create =
        "mutation($c:String!){createProduct(input:{title:\"W\",category:$c,"
            + "price:{amount:100,currency:\"USD\"},stock:1}){id}}";
    for (int i = 0; i < 2; i++) {
      var listed = graphQl(a, seller.session(), create, Map.of("c", category));
      assertThat(listed.getResponseBody().get("errors"))
          .as("%s", listed.getResponseBody())
          .isNull();
    }
    var refused = graphQl(a, seller.session(), create, Map.of("c", category));
    assertThat(refused.getStatus().value()).as("%s", refused.getResponseBody()).isEqualTo(429);
    assertThat(refused.getResponseBody().toString()).contains("Too many products listed");
    var feed =
        graphQl(
            a,
            seller.session(),
            "query($c:String){products(category:$c,first:5){edges{node{id}}}}",
            Map.of("c", category));
    assertThat(((Map<?, ?>) data(feed).get("products")).get("edges")).asList().hasSize(2);
  }

  /**
   * A like's answer tells whether the other had liked the liker: past the budget a like is refused
   * before it reads or writes anything, so liking everyone does not list one's admirers.
   */
  @Test
  void profileLikesBeyondTheBudgetAreRefusedAndTellNothing() {
    var eve = signUp(a, "eve-" + UUID.randomUUID() + "@example.com");
    var admirer = signUp(a, "admirer-" + UUID.randomUUID() + "@example.com");
    String like = "mutation($u:ID!){likeProfile(userId:$u){match{id}}}";
    var admiring = graphQl(a, admirer.session(), like, Map.of("u", eve.id()));
    assertThat(admiring.getStatus().value()).isEqualTo(200);
    for (int i = 0; i < 2; i++) {
      var other = signUp(a, "other-" + UUID.randomUUID() + "@example.com");
      assertThat(graphQl(a, eve.session(), like, Map.of("u", other.id())).getStatus().value())
          .isEqualTo(200);
    }
    var refused = graphQl(a, eve.session(), like, Map.of("u", admirer.id()));
    assertThat(refused.getStatus().value()).as("%s", refused.getResponseBody()).isEqualTo(429);
    assertThat(refused.getResponseBody().toString())
        .contains("Too many profile likes")
        .doesNotContain("match");
  }

  @Test
  void withRedisUnreachableTheBudgetsStayInMemoryAndNeverWait() {
    {
      String query = "{ a: __typename b: viewer { id } }";
      long started = System.nanoTime();
      for (int i = 0; i < 5; i++) {
        var answer = post(alone, query, randomAddress());
        assertThat(answer.getStatus().value()).isEqualTo(200);
        assertThat(throttle(answer)).containsKey("currentlyAvailable");
      }
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
      WebTestClient.bindToServer()
          .baseUrl(base(alone))
          .build()
          .get()
          .uri("/actuator/health")
          .exchange()
          .expectBody()
          .jsonPath("$.components.budgets.status")
          .isEqualTo("UP")
          .jsonPath("$.components.budgets.details.store")
          .value(store -> assertThat(store.toString()).startsWith("memory"));
    }
  }

  // --- helpers ---------------------------------------------------------------------------------

  /** A query of ten aliases of one user: 10 points, as much as it actually costs. */
  static String tenUsers(String user) {
    return "{ "
        + java.util.stream.IntStream.range(0, 10)
            .mapToObj(i -> "u" + i + ": user(id: \"" + user + "\") { id }")
            .collect(java.util.stream.Collectors.joining(" "))
        + " }";
  }

  /** A client address of its own (from the documentation ranges), so budgets do not mix. */
  static String randomAddress() {
    var random = java.util.concurrent.ThreadLocalRandom.current();
    return "10."
        + random.nextInt(1, 255)
        + "."
        + random.nextInt(1, 255)
        + "."
        + random.nextInt(1, 255);
  }

  record Account(String id, String session) {}

  static Account signUp(ConfigurableApplicationContext instance, String email) {
    var result =
        client(instance)
            .post()
            .uri("/graphql")
            .header("X-Forwarded-For", randomAddress())
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(
                Map.of(
                    "query",
                    "mutation($e:String!,$p:String!){signUp(email:$e,password:$p,displayName:\"B\"){id}}",
                    "variables",
                    Map.of("e", email, "p", "correct horse battery")))
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(Map.class)
            .returnResult();
    String id = (String) ((Map<?, ?>) data(result).get("signUp")).get("id");
    return new Account(id, result.getResponseCookies().getFirst("SESSION").getValue());
  }

  static EntityExchangeResult<Map> signIn(
      ConfigurableApplicationContext instance, String email, String password, String address) {
    return client(instance)
        .post()
        .uri("/graphql")
        .header("X-Forwarded-For", address)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(
            Map.of(
                "query",
                "mutation($e:String!,$p:String!){signIn(email:$e,password:$p){id}}",
                "variables",
                Map.of("e", email, "p", password)))
        .exchange()
        .expectBody(Map.class)
        .returnResult();
  }

  static EntityExchangeResult<Map> post(
      ConfigurableApplicationContext instance, String query, String address) {
    return client(instance)
        .post()
        .uri("/graphql")
        .header("X-Forwarded-For", address)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("query", query))
        .exchange()
        .expectBody(Map.class)
        .returnResult();
  }

  static EntityExchangeResult<Map> graphQl(
      ConfigurableApplicationContext instance,
      String session,
      String query,
      Map<String, Object> variables) {
    return client(instance)
        .post()
        .uri("/graphql")
        .cookie("SESSION", session)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("query", query, "variables", variables))
        .exchange()
        .expectBody(Map.class)
        .returnResult();
  }

  /** The conversation of {@code from} with the user of id {@code to}, started on instance a. */
  static String startConversation(Account from, String to) {
    return (String)
        ((Map<?, ?>)
                data(graphQl(
                        a,
                        from.session(),
                        "mutation($p:[ID!]!){startConversation(participantIds:$p){id}}",
                        Map.of("p", List.of(to))))
                    .get("startConversation"))
            .get("id");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> data(EntityExchangeResult<Map> result) {
    return (Map<String, Object>) result.getResponseBody().get("data");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> throttle(EntityExchangeResult<Map> result) {
    var extensions = (Map<String, Object>) result.getResponseBody().get("extensions");
    assertThat(extensions).as("extensions of %s", result.getResponseBody()).isNotNull();
    return (Map<String, Object>)
        ((Map<String, Object>) extensions.get("cost")).get("throttleStatus");
  }

  static long statements(ConfigurableApplicationContext instance) {
    return instance.getBean(StatementCounter.class).total();
  }

  static WebTestClient client(ConfigurableApplicationContext instance) {
    return WebTestClient.bindToServer()
        .baseUrl(base(instance))
        .responseTimeout(Duration.ofSeconds(30))
        .build();
  }

  static String base(ConfigurableApplicationContext instance) {
    return "http://localhost:" + instance.getEnvironment().getProperty("local.server.port");
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
