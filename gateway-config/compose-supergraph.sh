#!/bin/sh
# Composes gateway-config/supergraph.graphql from schema/ (see supergraph.yaml). Needs rover
# (https://www.apollographql.com/docs/rover/getting-started); run from anywhere.
set -eu
cd "$(dirname "$0")/.."
mkdir -p target
cat schema/*.graphqls > target/dedw3n-subgraph.graphqls
APOLLO_ELV2_LICENSE=${APOLLO_ELV2_LICENSE:-accept} \
  rover supergraph compose --config gateway-config/supergraph.yaml > gateway-config/supergraph.graphql
echo "gateway-config/supergraph.graphql composed from schema/"
