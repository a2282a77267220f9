package com.dedw3n.platform.graphql;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import graphql.ExecutionInput;
import graphql.execution.preparsed.PreparsedDocumentEntry;
import graphql.execution.preparsed.PreparsedDocumentProvider;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Parsed and validated documents, by their text. Clients send the same few operations over and over
 * (the apps' documents are fixed at build time), and parsing plus validating one took about 5 % of
 * the server's CPU on the W1 feed. Validation does not depend on variables, so a document valid
 * once is valid for every request that sends the same text.
 *
 * <p>Only valid documents are kept, and the cache is bounded by the total length of the texts it
 * holds, so a client sending endless distinct or invalid documents cannot grow it or push the apps'
 * documents out with junk that fails anyway.
 */
final class DocumentCache implements PreparsedDocumentProvider {

  private final Cache<String, PreparsedDocumentEntry> documents;

  DocumentCache(long maxTotalChars) {
    this.documents =
        Caffeine.newBuilder()
            .maximumWeight(maxTotalChars)
            .<String, PreparsedDocumentEntry>weigher((text, entry) -> text.length())
            .build();
  }

  @Override
  public CompletableFuture<PreparsedDocumentEntry> getDocumentAsync(
      ExecutionInput input, Function<ExecutionInput, PreparsedDocumentEntry> parseAndValidate) {
    String text = input.getQuery();
    PreparsedDocumentEntry entry = documents.getIfPresent(text);
    if (entry == null) {
      entry = parseAndValidate.apply(input);
      if (!entry.hasErrors()) {
        documents.put(text, entry);
      }
    }
    return CompletableFuture.completedFuture(entry);
  }

  long size() {
    return documents.estimatedSize();
  }

  /** Carries out pending evictions now (Caffeine otherwise does it in the background). */
  void cleanUp() {
    documents.cleanUp();
  }
}
