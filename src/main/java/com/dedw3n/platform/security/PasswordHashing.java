package com.dedw3n.platform.security;

import com.dedw3n.platform.graphql.ApiException;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Hashes and checks passwords (BCrypt, deliberately slow: about 70 ms of CPU each) on a few threads
 * of their own: half the cores, at least one, with a short queue. A flood of sign-ins, even from
 * many addresses at once, can then take at most half the CPU away from everything else (a 16-way
 * flood had slowed product reads from 0.05 s to 0.66 s); beyond the queue it is answered
 * UNAVAILABLE at once.
 */
@Component
public class PasswordHashing implements DisposableBean {

  private final PasswordEncoder encoder;
  private final Scheduler threads;

  PasswordHashing(PasswordEncoder encoder) {
    this.encoder = encoder;
    int cores = Runtime.getRuntime().availableProcessors();
    int size = Math.max(1, cores / 2);
    this.threads = Schedulers.newBoundedElastic(size, 16 * size, "passwords", 60, true);
  }

  /** The hash to store for a new password. */
  public Mono<String> hash(String password) {
    return run(() -> encoder.encode(password));
  }

  /** Whether the password matches the stored hash. */
  public Mono<Boolean> matches(String password, String hash) {
    return run(() -> encoder.matches(password, hash));
  }

  private <T> Mono<T> run(Callable<T> work) {
    return Mono.fromCallable(work)
        .subscribeOn(threads)
        .onErrorMap(
            RejectedExecutionException.class,
            e ->
                ApiException.unavailable(
                    "TOO_MANY_SIGN_INS", "Too many sign-ins at once; retry in a moment.", 1));
  }

  @Override
  public void destroy() {
    threads.dispose();
  }
}
