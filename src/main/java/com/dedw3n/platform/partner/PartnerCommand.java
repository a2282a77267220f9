package com.dedw3n.platform.partner;

import com.dedw3n.platform.graphql.TrustedDocuments;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.ExitCodeGenerator;
import org.springframework.dao.DuplicateKeyException;

/**
 * The operator's command for partners, run as {@code java -jar dedw3n-api.jar partners <command>}
 * against the database of {@code DATABASE_URL} (the server's migrations run first):
 *
 * <pre>
 * partners list
 * partners create &lt;name&gt; --operations=productFeed,productDetail [--capacity=20000] [--refill=2000]
 * partners allow &lt;name&gt; --operations=productFeed,productDetail
 * partners rotate &lt;name&gt;           a new key; the older one keeps working until revoked
 * partners revoke &lt;name&gt; &lt;key prefix&gt;
 * </pre>
 *
 * Operations are named as in the manifest ({@code api/*.graphql}); a partner is allowed their
 * current ids, so an operation whose document changes must be allowed again. A key is printed once
 * and never stored.
 */
public final class PartnerCommand implements ApplicationRunner, ExitCodeGenerator {

  /** The first argument that makes the jar run this command instead of the server. */
  public static final String NAME = "partners";

  private final Partners partners;
  private final TrustedDocuments manifest;
  private final PrintStream out;
  private int exitCode;

  public PartnerCommand(Partners partners, TrustedDocuments manifest, PrintStream out) {
    this.partners = partners;
    this.manifest = manifest;
    this.out = out;
  }

  @Override
  public void run(ApplicationArguments arguments) {
    List<String> words = new ArrayList<>(arguments.getNonOptionArgs());
    if (!words.isEmpty() && words.get(0).equals(NAME)) {
      words.remove(0);
    }
    try {
      exitCode = run(words, arguments);
    } catch (IllegalArgumentException e) {
      out.println("error: " + e.getMessage());
      exitCode = 2;
    } catch (DuplicateKeyException e) {
      out.println("error: a partner with this name exists");
      exitCode = 2;
    }
  }

  private int run(List<String> words, ApplicationArguments arguments) {
    String command = words.isEmpty() ? "help" : words.get(0);
    switch (command) {
      case "list" -> {
        for (Partners.Listing listing : partners.list().toIterable()) {
          out.printf(
              "%s  keys %s  budget %d (+%d/s)  operations %s%n",
              listing.partner().name(),
              listing.livePrefixes(),
              listing.partner().budget().capacity(),
              listing.partner().budget().refill(),
              names(listing.partner()));
        }
        return 0;
      }
      case "create" -> {
        Partners.IssuedKey issued =
            partners
                .create(
                    name(words),
                    operationIds(arguments),
                    number(arguments, "capacity", 20_000),
                    number(arguments, "refill", 2_000))
                .block();
        printKey(issued);
        return 0;
      }
      case "allow" -> {
        Partner partner = partners.allow(name(words), operationIds(arguments)).block();
        out.println(partner.name() + " may call " + names(partner));
        return 0;
      }
      case "rotate" -> {
        printKey(partners.rotate(name(words)).block());
        return 0;
      }
      case "revoke" -> {
        if (words.size() < 3) {
          throw new IllegalArgumentException("usage: partners revoke <name> <key prefix>");
        }
        Long revoked = partners.revoke(words.get(1), words.get(2)).block();
        out.println("revoked " + revoked + " key(s)");
        return revoked != null && revoked > 0 ? 0 : 1;
      }
      default -> {
        out.println(
            "usage: partners list | create <name> --operations=a,b [--capacity=N] [--refill=N]"
                + " | allow <name> --operations=a,b | rotate <name> | revoke <name> <key prefix>");
        return command.equals("help") ? 0 : 2;
      }
    }
  }

  private void printKey(Partners.IssuedKey issued) {
    out.println("partner " + issued.partner().name() + ", key (shown once, keep it secret):");
    out.println(issued.key());
  }

  private List<String> names(Partner partner) {
    return manifest.all().stream()
        .filter(operation -> partner.mayCall(operation.id()))
        .map(TrustedDocuments.Trusted::name)
        .toList();
  }

  private static String name(List<String> words) {
    if (words.size() < 2 || words.get(1).isBlank()) {
      throw new IllegalArgumentException("name the partner");
    }
    return words.get(1).strip();
  }

  private List<String> operationIds(ApplicationArguments arguments) {
    List<String> values = arguments.getOptionValues("operations");
    if (values == null || values.isEmpty()) {
      throw new IllegalArgumentException("--operations=name,name... (names from api/*.graphql)");
    }
    // a name given twice is allowed once
    Set<String> ids = new LinkedHashSet<>();
    for (String value : values) {
      for (String name : value.split(",")) {
        if (name.isBlank()) {
          continue;
        }
        TrustedDocuments.Trusted operation =
            manifest.all().stream()
                .filter(registered -> registered.name().equals(name.strip()))
                .findFirst()
                .orElseThrow(
                    () -> new IllegalArgumentException("No registered operation named " + name));
        if (!manifest.affordable(operation)) {
          throw new IllegalArgumentException(
              "Operation "
                  + operation.name()
                  + " costs "
                  + operation.price()
                  + " points with every page at its largest, over the cost limit of "
                  + manifest.maxCost()
                  + ": a partner, who pays that price whatever its variables, would be refused"
                  + " every call (QUERY_TOO_COSTLY)");
        }
        ids.add(operation.id());
      }
    }
    return List.copyOf(ids);
  }

  private static long number(ApplicationArguments arguments, String option, long fallback) {
    List<String> values = arguments.getOptionValues(option);
    if (values == null || values.isEmpty()) {
      return fallback;
    }
    try {
      long value = Long.parseLong(values.get(0));
      if (value <= 0) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + option + " must be a positive whole number");
    }
  }

  @Override
  public int getExitCode() {
    return exitCode;
  }
}
