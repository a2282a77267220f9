package com.dedw3n.user.internal;

import com.dedw3n.platform.budget.Action;
import com.dedw3n.platform.budget.Budgets;
import com.dedw3n.platform.graphql.ApiException;
import com.dedw3n.platform.graphql.ErrorKind;
import com.dedw3n.platform.graphql.Ids;
import com.dedw3n.platform.graphql.Inputs;
import com.dedw3n.platform.graphql.Text;
import com.dedw3n.platform.security.NewPassword;
import com.dedw3n.platform.security.PasswordHashing;
import com.dedw3n.platform.security.Viewer;
import com.dedw3n.platform.session.SessionStore.Issued;
import com.dedw3n.platform.session.Sessions;
import com.dedw3n.platform.web.ClientAddress;
import com.dedw3n.user.User;
import com.dedw3n.user.Users;
import graphql.GraphQLContext;
import graphql.execution.DataFetcherResult;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.graphql.data.federation.EntityMapping;
import org.springframework.graphql.data.method.annotation.Argument;
import org.springframework.graphql.data.method.annotation.LocalContextValue;
import org.springframework.graphql.data.method.annotation.MutationMapping;
import org.springframework.graphql.data.method.annotation.QueryMapping;
import org.springframework.graphql.data.method.annotation.SchemaMapping;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Controller;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/** Accounts and sign-in; the {@code User} entity. */
@Controller
class UserController {

  private static final Log log = LogFactory.getLog(UserController.class);

  /**
   * An email address, with the white space around it that is stripped: any space, the no-break ones
   * and zero-width ones too (a pasted address often ends in one). Inside it, no space, control,
   * format or unassigned character: an address with an invisible character in it is another
   * account's look-alike, or reaches nobody. The domain is dot-separated labels, none empty.
   *
   * <p>Linear in the input: no two parts can match the same character, and the quantifiers are
   * possessive. Bean Validation runs it whatever the length (a failed {@code @Text} does not stop
   * it), and the domain part as it was ({@code [^@]+\.[^@]+}, a dot being in both classes) tried
   * every dot as the separator: "a@" and 100,000 dots held a thread for minutes.
   */
  private static final String EMAIL =
      "[\\s\\p{Z}\\p{Cf}]*+[^@\\s\\p{Z}\\p{C}]++@[^@.\\s\\p{Z}\\p{C}]++(?:\\.[^@.\\s\\p{Z}\\p{C}]++)++"
          + "[\\s\\p{Z}\\p{Cf}]*+";

  /**
   * An address as sign-in and password resets look it up: as {@link #EMAIL}, but its domain's
   * labels may be empty ({@code gmail..com}, {@code example.com.}), as sign-up let them be before
   * 2026-12-07: those accounts still sign in. Linear too.
   */
  static final String EMAIL_LOOKUP =
      "[\\s\\p{Z}\\p{Cf}]*+[^@\\s\\p{Z}\\p{C}]++@[^@.\\s\\p{Z}\\p{C}]*+(?:\\.[^@.\\s\\p{Z}\\p{C}]*+)++"
          + "[\\s\\p{Z}\\p{Cf}]*+";

  private static final java.util.regex.Pattern AROUND_EMAIL =
      java.util.regex.Pattern.compile("^[\\s\\p{Z}\\p{Cf}]+|[\\s\\p{Z}\\p{Cf}]+$");

  private static final String EMAIL_MESSAGE = "is not a valid email address";

  /**
   * One line of visible text: a name is shown to others and put into the mails they get ("You have
   * a new match: ..."), where a line break or another control character would let a name write a
   * paragraph of its own in Dedw3n's voice.
   */
  private static final String DISPLAY_NAME =
      // and no bidirectional override, embedding or isolate (nor the marks): one could show the
      // mail's own text after the name reversed. The joiners of emoji and Persian stay allowed
      "[^\\p{Cc}\\p{Zl}\\p{Zp}\\u202A-\\u202E\\u2066-\\u2069\\u200E\\u200F\\u061C]*";

  private static final String DISPLAY_NAME_MESSAGE =
      "must be one line without control characters or direction overrides";

  private final Users users;
  private final Accounts accounts;
  private final PasswordHashing passwords;
  private final Sessions sessions;
  private final Budgets budgets;
  private final ClientAddress clientAddress;
  private final AccountTokens tokens;
  private final AccountMail mail;
  private final TransactionalOperator transaction;

  /** Compared against when the email is unknown, so a miss costs as long as a wrong password. */
  private final String decoyHash;

  UserController(
      Users users,
      Accounts accounts,
      PasswordEncoder encoder,
      PasswordHashing passwords,
      Sessions sessions,
      Budgets budgets,
      ClientAddress clientAddress,
      AccountTokens tokens,
      AccountMail mail,
      TransactionalOperator transaction) {
    this.users = users;
    this.accounts = accounts;
    this.passwords = passwords;
    this.sessions = sessions;
    this.budgets = budgets;
    this.clientAddress = clientAddress;
    this.tokens = tokens;
    this.mail = mail;
    this.transaction = transaction;
    this.decoyHash = encoder.encode("decoy password for timing");
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

  /**
   * The local context key of the user a sign-up or sign-in of this request signed in. The request
   * itself runs as the caller was before (its security context is read once), so the answer's own
   * {@code email} would otherwise be null for the account that just signed in.
   */
  private static final String SIGNED_IN = "signedIn";

  @SchemaMapping
  Mono<String> email(
      User user, @LocalContextValue(name = SIGNED_IN, required = false) @Nullable Long signedIn) {
    return isSelf(user, signedIn).filter(self -> self).map(self -> user.email());
  }

  /** Whether the user is the caller, or the one this request signed in. */
  private static Mono<Boolean> isSelf(User user, @Nullable Long signedIn) {
    if (signedIn != null && signedIn == user.id()) {
      return Mono.just(true);
    }
    return Viewer.current().map(viewer -> viewer.userId() == user.id()).defaultIfEmpty(false);
  }

  /** An answer whose fields see {@code userId} as signed in ({@link #SIGNED_IN}). */
  private static <T> DataFetcherResult<T> signedIn(T answer, long userId) {
    return DataFetcherResult.<T>newResult()
        .data(answer)
        .localContext(GraphQLContext.newContext().of(SIGNED_IN, userId).build())
        .build();
  }

  @MutationMapping
  Mono<DataFetcherResult<User>> signUp(
      @Argument @Text(min = 3, max = 254) @Pattern(regexp = EMAIL, message = EMAIL_MESSAGE)
          String email,
      @Argument @NewPassword String password,
      @Argument
          @Text(min = 1, max = 80)
          @Pattern(regexp = DISPLAY_NAME, message = DISPLAY_NAME_MESSAGE)
          String displayName) {
    String normalizedEmail = normalizeEmail(email);
    String name = Inputs.strip(displayName);
    // sign-ups per address are limited before any work: hashing is deliberately slow
    return sessions
        .requireHttp()
        .then(clientAddress.current())
        .flatMap(address -> budgets.spend(Action.SIGN_UP_ADDRESS, address))
        .then(passwords.hash(password))
        .flatMap(
            hash ->
                accounts
                    .insert(normalizedEmail, name, hash)
                    // the welcome mail, with its verification link, exists iff the account does
                    .flatMap(id -> mail.welcome(id, normalizedEmail, name).thenReturn(id))
                    .as(transaction::transactional))
        .switchIfEmpty(
            Mono.error(() -> ApiException.conflict("An account with this email already exists.")))
        .flatMap(id -> sessions.signIn(id, false).then(users.findById(id)))
        .map(user -> signedIn(user, user.id()));
  }

  /**
   * Password guessing is throttled per address and per account (an unknown email has a budget like
   * any account, so the answer does not tell whether it exists). An attempt is counted before the
   * password is checked, so parallel guesses cannot slip past the count; a right password gives its
   * account's attempt back, so signing in often is never throttled, only failing.
   */
  @MutationMapping
  Mono<DataFetcherResult<User>> signIn(
      @Argument @Text(min = 3, max = 254) @Pattern(regexp = EMAIL_LOOKUP, message = EMAIL_MESSAGE)
          String email,
      @Argument String password) {
    return authenticate(email, password)
        .flatMap(credentials -> signIn(credentials, false))
        .flatMap(issued -> users.findById(issued.userId()))
        .map(user -> signedIn(user, user.id()));
  }

  /** For clients that keep the token themselves: no cookie is set. */
  @MutationMapping
  Mono<DataFetcherResult<SessionToken>> signInForToken(
      @Argument @Text(min = 3, max = 254) @Pattern(regexp = EMAIL_LOOKUP, message = EMAIL_MESSAGE)
          String email,
      @Argument String password) {
    return authenticate(email, password)
        .flatMap(credentials -> signIn(credentials, true))
        .flatMap(
            issued ->
                users
                    .findById(issued.userId())
                    .map(
                        user ->
                            signedIn(
                                new SessionToken(
                                    issued.token(),
                                    issued.expiresAt().atOffset(java.time.ZoneOffset.UTC),
                                    user),
                                user.id())));
  }

  /**
   * A session for credentials just checked, unless a reset or change stored another password while
   * they were: then UNAUTHORIZED, as for the old password from then on.
   */
  private Mono<Issued> signIn(Accounts.Credentials credentials, boolean asToken) {
    return sessions
        .signIn(
            credentials.userId(),
            asToken,
            accounts.passwordHash(credentials.userId()).map(credentials.passwordHash()::equals))
        .switchIfEmpty(Mono.error(UserController::wrongPassword));
  }

  private static ApiException currentPasswordWrong() {
    return new ApiException(ErrorKind.UNAUTHORIZED, "The current password is wrong.");
  }

  private static ApiException wrongPassword() {
    return new ApiException(ErrorKind.UNAUTHORIZED, "Wrong email or password.");
  }

  /** The account behind an email and password, or UNAUTHORIZED. */
  private Mono<Accounts.Credentials> authenticate(String email, String password) {
    String normalizedEmail = normalizeEmail(email);
    return sessions
        .requireHttp()
        .then(clientAddress.current())
        .flatMap(address -> budgets.spend(Action.SIGN_IN_ADDRESS, address))
        .then(budgets.spend(Action.SIGN_IN_ACCOUNT, normalizedEmail).map(Optional::of))
        .defaultIfEmpty(Optional.empty())
        .flatMap(
            attempt ->
                accounts
                    .credentialsByEmail(normalizedEmail)
                    .defaultIfEmpty(new Accounts.Credentials(0, decoyHash))
                    .flatMap(
                        credentials ->
                            passwords
                                .matches(
                                    password == null ? "" : password, credentials.passwordHash())
                                .filter(matches -> matches && credentials.userId() != 0)
                                .map(matches -> credentials))
                    .switchIfEmpty(Mono.error(UserController::wrongPassword))
                    .doOnNext(
                        credentials -> attempt.ifPresent(spent -> budgets.giveBack(spent, 1))));
  }

  @MutationMapping
  Mono<Boolean> signOut() {
    return sessions.signOut().thenReturn(true);
  }

  @MutationMapping
  Mono<Boolean> signOutEverywhere() {
    return sessions.signOutEverywhere().thenReturn(true);
  }

  /**
   * Checks the current password (with the account's sign-in budget, the one {@code signIn} spends:
   * it is a password guess like any other, and a right one gives its attempt back), stores the new
   * one, retires every reset link of the user (one asked for by someone who read the mailbox before
   * the change would undo it), and ends every other session of the user.
   */
  @MutationMapping
  Mono<Boolean> changePassword(
      @Argument String currentPassword, @Argument @NewPassword String newPassword) {
    return Viewer.requireId()
        .flatMap(
            userId ->
                accounts
                    .login(userId)
                    .flatMap(
                        login ->
                            budgets
                                .spend(Action.SIGN_IN_ACCOUNT, login.email())
                                .map(Optional::of)
                                .defaultIfEmpty(Optional.empty())
                                .flatMap(
                                    attempt ->
                                        passwords
                                            .matches(
                                                currentPassword == null ? "" : currentPassword,
                                                login.passwordHash())
                                            .filter(Boolean::booleanValue)
                                            .doOnNext(
                                                right ->
                                                    attempt.ifPresent(
                                                        spent -> budgets.giveBack(spent, 1)))
                                            .map(right -> login)))
                    .flatMap(
                        login ->
                            passwords
                                .hash(newPassword)
                                .flatMap(
                                    hash ->
                                        // the reset links first, then the user's row, as a reset
                                        // locks its link and then the row: one order, no deadlock
                                        tokens
                                            .retireAll(userId, AccountTokens.Purpose.RESET_PASSWORD)
                                            // only over the password just checked: a reset that
                                            // committed meanwhile is not undone by this change
                                            .then(
                                                accounts.replacePassword(
                                                    userId, login.passwordHash(), hash))
                                            // changed meanwhile: rolled back, as wrong
                                            .flatMap(
                                                replaced ->
                                                    replaced
                                                        ? Mono.just(login)
                                                        : Mono.error(
                                                            UserController::currentPasswordWrong))
                                            // before the commit as well as after, as a reset does
                                            .flatMap(
                                                changed ->
                                                    sessions.endOthers(userId).thenReturn(changed))
                                            .as(transaction::transactional)))
                    .switchIfEmpty(Mono.error(UserController::currentPasswordWrong))
                    .then(afterCommit(sessions.endOthers(userId), userId)))
        .thenReturn(true);
  }

  /**
   * Confirms the address the mailed token was sent to. The token is used up in the transaction that
   * marks the address: a confirmation that fails midway leaves the link working.
   */
  @MutationMapping
  Mono<Boolean> verifyEmail(
      @Argument @Size(max = 100, message = "is not a token we sent") String token) {
    return tokens
        .use(token, AccountTokens.Purpose.VERIFY_EMAIL)
        .switchIfEmpty(Mono.error(() -> invalidToken("e-mail verification")))
        .flatMap(tokens::markEmailVerified)
        .as(transaction::transactional)
        .thenReturn(true);
  }

  /**
   * Mails a reset link when an account has this address; answers true either way, so the answer
   * tells nobody whether the address has an account (queueing the mail adds two short statements, a
   * timing difference of milliseconds). Counted against the client address's sign-in attempts and
   * the recipient's reset mails (any address, with an account or not, so that RATE_LIMITED tells
   * nothing either), so that nobody floods a mailbox.
   */
  @MutationMapping
  Mono<Boolean> requestPasswordReset(
      @Argument @Text(min = 3, max = 254) @Pattern(regexp = EMAIL_LOOKUP, message = EMAIL_MESSAGE)
          String email) {
    String normalizedEmail = normalizeEmail(email);
    return clientAddress
        .current()
        .flatMap(address -> budgets.spend(Action.SIGN_IN_ADDRESS, address))
        .then(budgets.spend(Action.RESET_MAIL_RECIPIENT, normalizedEmail))
        .then(accounts.credentialsByEmail(normalizedEmail))
        .flatMap(
            account ->
                mail.passwordReset(account.userId(), normalizedEmail)
                    .as(transaction::transactional))
        .thenReturn(true);
  }

  /**
   * The second end of a password's sessions, after its commit: logged, not answered, when the
   * session store fails, since the change is stored and the first end, before the commit, went
   * through.
   */
  private static Mono<Void> afterCommit(Mono<Void> endSessions, long userId) {
    return endSessions.onErrorResume(
        e -> {
          log.warn(
              "Sessions of user "
                  + userId
                  + " not ended again after the password's commit (they were before it): "
                  + e);
          return Mono.empty();
        });
  }

  /**
   * Sets a new password with a mailed reset token: the token is used up, every other reset token of
   * the user retired, the address counts as verified (the mail reached it), and every session of
   * the user ends.
   */
  @MutationMapping
  Mono<Boolean> resetPassword(
      @Argument @Size(max = 100, message = "is not a token we sent") String token,
      @Argument @NewPassword String newPassword) {
    return clientAddress
        .current()
        .flatMap(address -> budgets.spend(Action.SIGN_IN_ADDRESS, address))
        .then(passwords.hash(newPassword))
        .flatMap(
            hash ->
                tokens
                    .use(token, AccountTokens.Purpose.RESET_PASSWORD)
                    .switchIfEmpty(Mono.error(() -> invalidToken("password reset")))
                    .flatMap(
                        userId ->
                            accounts
                                .updatePassword(userId, hash)
                                .then(
                                    tokens.retireAll(userId, AccountTokens.Purpose.RESET_PASSWORD))
                                .then(tokens.markEmailVerified(userId))
                                // before the commit: with the session store away the reset rolls
                                // back and its link still works, where after it the link was used
                                // and every session, an intruder's too, came back with the store
                                .then(sessions.endAll(userId))
                                .thenReturn(userId))
                    .as(transaction::transactional))
        // and again after it, for a sign-in that checked the old password, still unchanged until
        // the commit, after the sessions ended; the reset is done whatever this answers (a retry
        // would be refused, its link used), and only such a session, made within those
        // milliseconds, can outlive a failure here
        .flatMap(userId -> afterCommit(sessions.endAll(userId), userId))
        .thenReturn(true);
  }

  /** Whether the user confirmed their address; for that user alone, like {@code email}. */
  @SchemaMapping(typeName = "User")
  Mono<Boolean> emailVerified(
      User user, @LocalContextValue(name = SIGNED_IN, required = false) @Nullable Long signedIn) {
    return isSelf(user, signedIn)
        .filter(self -> self)
        .flatMap(self -> tokens.emailVerified(user.id()));
  }

  private static ApiException invalidToken(String what) {
    return new ApiException(
        ErrorKind.BAD_REQUEST,
        "INVALID_TOKEN",
        "This " + what + " link is invalid, used or expired; ask for a new one.",
        0);
  }

  /** What {@code signInForToken} answers. */
  record SessionToken(String token, java.time.OffsetDateTime expiresAt, User user) {}

  @EntityMapping("User")
  Mono<List<User>> userEntities(@Argument List<String> idList) {
    List<Long> ids = Ids.parseAll("id", idList);
    return users
        .findAllById(ids)
        .collectMap(User::id)
        .map(found -> ids.stream().map(found::get).toList());
  }

  /** A validated email argument as accounts are keyed: stripped (see EMAIL) and in lower case. */
  static String normalizeEmail(String email) {
    return AROUND_EMAIL.matcher(email).replaceAll("").toLowerCase(Locale.ROOT);
  }
}
