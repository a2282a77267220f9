# The API's container image, from the jar the build made (./mvnw -DskipTests package first):
#   docker build -t dedw3n-api .
# Layers: dependencies change rarely, the application often, so a new release ships a few MB.
FROM eclipse-temurin:17-jre AS layers
WORKDIR /build
COPY target/dedw3n-api-*.jar application.jar
RUN java -Djarmode=tools -jar application.jar extract --layers --launcher --destination extracted

FROM eclipse-temurin:17-jre
# never root: PostgreSQL-style least privilege for the process that faces the network
RUN groupadd --system --gid 10001 dedw3n && useradd --system --uid 10001 --gid dedw3n dedw3n
WORKDIR /app
COPY --from=layers /build/extracted/dependencies/ ./
COPY --from=layers /build/extracted/spring-boot-loader/ ./
COPY --from=layers /build/extracted/snapshot-dependencies/ ./
COPY --from=layers /build/extracted/application/ ./
USER 10001:10001
# the JVM sizing the benchmark measured (README, JVM sizing): peak resident memory under 512 MiB
ENV JAVA_TOOL_OPTIONS="-Xmx224m -XX:+UseG1GC -XX:SurvivorRatio=3 -XX:MarkStackSize=262144 -XX:TrimNativeHeapInterval=5000 -Xss512k -XX:MaxMetaspaceSize=160m -XX:ReservedCodeCacheSize=64m -XX:MaxDirectMemorySize=64m"
# 8080: /graphql; 8081: health and metrics (MANAGEMENT_PORT), never public
EXPOSE 8080 8081
# bash's /dev/tcp: the image has neither curl nor wget
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/${MANAGEMENT_PORT:-8081} && printf "GET /actuator/health/readiness HTTP/1.0\r\n\r\n" >&3 && head -1 <&3 | grep -q " 200 "'
# exec form: the JVM is PID 1 and gets SIGTERM itself (graceful drain, README)
ENTRYPOINT ["java", "org.springframework.boot.loader.launch.JarLauncher"]
