// tidelog: the Tidelog / Kinesis command-line tool. Global flags live on the
// root command (and may follow any subcommand); each subcommand registers
// itself from its own file.
#include <cstdio>

#include "tools/cli/cli_context.h"

int main(int argc, char** argv) {
  tidelog::cli::CliContext context;
  CLI::App app{"tidelog: plan, test and operate Kinesis streams (tidelogd or AWS)", "tidelog"};
  app.require_subcommand(1);
  app.add_flag("--json", context.json, "machine-readable JSON output");
  app.add_option("--endpoint-url", context.endpoint_url,
                 "Kinesis endpoint (default https://kinesis.<region>.amazonaws.com)");
  app.add_option("--region", context.region, "AWS region (default AWS_REGION, AWS_DEFAULT_REGION)");
  app.add_flag("--no-verify-ssl", context.no_verify_ssl,
               "do not verify the endpoint's TLS certificate");
  app.add_option("--ca-bundle", context.ca_bundle,
                 "PEM bundle of CAs to trust instead of the system store (default AWS_CA_BUNDLE)")
      ->check(CLI::ExistingFile);
  tidelog::cli::AddPlanCommand(app, context);
  tidelog::cli::AddKeysCommand(app, context);
  tidelog::cli::AddStreamsCommand(app, context);
  tidelog::cli::AddReshardCommand(app, context);
  for (CLI::App* sub : app.get_subcommands({})) sub->fallthrough();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return context.exit_code;
}
