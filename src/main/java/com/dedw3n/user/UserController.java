package com.dedw3n.user;

import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.Ids;
import com.dedw3n.platform.graphql.Inputs;
import com.dedw3n.platform.security.Sessions;
import com.dedw3n.platform.security.Viewer;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.springframework.graphql.data.federation.EntityMapping;
import org.springframework.graphql.data.method.annotation.Argument;
import org.springframework.graphql.data.method.annotation.MutationMapping;
import org.springframework.graphql.data.method.annotation.QueryMapping;
import org.springframework.graphql.data.method.annotation.SchemaMapping;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Controller;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** Accounts and sign-in; the {@code User} entity. */
@Controller
class UserController {

  private static final Pattern EMAIL = Pattern.compile("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$");

  private final Users users;
  private final PasswordEncoder passwords;
  private final Sessions sessions;

  /** Compared against when the email is unknown, so a miss costs as long as a wrong password. */
  private final String decoyHash;

  UserController(Users users, PasswordEncoder passwords, Sessions sessions) {
    this.users = users;
    this.passwords = passwords;
    this.sessions = sessions;
    this.decoyHash = passwords.encode("decoy password for timing");
  }

  @QueryMapping
  Mono<User> viewer() {
    return Viewer.current().flatMap(viewer -> users.findById(viewer.userId()));
  }

  @QueryMapping
  Mono<User> user(@Argument String id) {
    long userId = Ids.parse("id", id);
    return users
        .findById(userId)
        .switchIfEmpty(Mono.error(() -> ApiException.notFound("User", id)));
  }

  @SchemaMapping
  Mono<String> email(User user) {
    return Viewer.current()
        .filter(viewer -> viewer.userId() == user.id())
        .map(viewer -> user.email());
  }

  @MutationMapping
  Mono<User> signUp(
      @Argument String email, @Argument String password, @Argument String displayName) {
    String normalizedEmail = normalizeEmail(email);
    String name = Inputs.text("displayName", displayName, 1, 80);
    if (password == null || password.length() < 8 || password.length() > 128) {
      throw ApiException.badRequest("password must be 8 to 128 characters long");
    }
    // BCrypt is deliberately slow: keep it off the event loop
    return Mono.fromCallable(() -> passwords.encode(password))
        .subscribeOn(Schedulers.boundedElastic())
        .flatMap(hash -> users.insert(normalizedEmail, name, hash))
        .switchIfEmpty(
            Mono.error(() -> ApiException.conflict("An account with this email already exists.")))
        .flatMap(user -> sessions.signIn(user.id()).thenReturn(user));
  }

  @MutationMapping
  Mono<User> signIn(@Argument String email, @Argument String password) {
    String normalizedEmail = normalizeEmail(email);
    return users
        .credentialsByEmail(normalizedEmail)
        .map(found -> found)
        .defaultIfEmpty(new Users.Credentials(0, decoyHash))
        .publishOn(Schedulers.boundedElastic())
        .filter(
            credentials ->
                passwords.matches(password == null ? "" : password, credentials.passwordHash())
                    && credentials.userId() != 0)
        .switchIfEmpty(
            Mono.error(
                () ->
                    new ApiException(
                        com.dedw3n.platform.graphql.ErrorKind.UNAUTHORIZED,
                        "Wrong email or password.")))
        .flatMap(credentials -> sessions.signIn(credentials.userId()).thenReturn(credentials))
        .flatMap(credentials -> users.findById(credentials.userId()));
  }

  @MutationMapping
  Mono<Boolean> signOut() {
    return sessions.signOut().thenReturn(true);
  }

  @EntityMapping("User")
  Mono<List<User>> userEntities(@Argument List<String> idList) {
    List<Long> ids = Ids.parseAll("id", idList);
    return users
        .findAllById(ids)
        .collectMap(User::id)
        .map(found -> ids.stream().map(found::get).toList());
  }

  private static String normalizeEmail(String email) {
    String trimmed = Inputs.text("email", email, 3, 254).toLowerCase(Locale.ROOT);
    if (!EMAIL.matcher(trimmed).matches()) {
      throw ApiException.badRequest("email is not a valid email address");
    }
    return trimmed;
  }
}
