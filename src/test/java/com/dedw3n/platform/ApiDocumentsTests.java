package com.dedw3n.platform;

import static org.assertj.core.api.Assertions.assertThat;

import com.dedw3n.ApiTests;
import graphql.ParseAndValidate;
import graphql.language.Document;
import graphql.language.OperationDefinition;
import graphql.parser.Parser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.graphql.execution.GraphQlSource;

/**
 * The operations in {@code api/} are what clients send: each must stay valid against the schema.
 */
class ApiDocumentsTests extends ApiTests {

  @Autowired GraphQlSource graphQl;

  @Test
  void everyDocumentInApiIsOneNamedOperationValidAgainstTheSchema() throws IOException {
    List<Path> documents;
    try (Stream<Path> files = Files.walk(Path.of("api"))) {
      documents = files.filter(p -> p.toString().endsWith(".graphql")).sorted().toList();
    }
    assertThat(documents).isNotEmpty();
    for (Path file : documents) {
      Document document = Parser.parse(Files.readString(file));
      var operations = document.getDefinitionsOfType(OperationDefinition.class);
      String expectedName = file.getFileName().toString().replace(".graphql", "");
      assertThat(operations).as(file + " holds one operation").hasSize(1);
      assertThat(operations.get(0).getName())
          .as(file + " is named after its file")
          .isEqualTo(expectedName);
      assertThat(ParseAndValidate.validate(graphQl.schema(), document))
          .as(file.toString())
          .isEmpty();
    }
  }
}
