// `weft report RESULTS... -o report.html`: one self-contained HTML page from result
// records. Runs outside mpirun and never initialises MPI.
#include <CLI/CLI.hpp>

#include <iostream>

#include "report/report.hpp"

namespace weft::cli {

int report_main(int argc, char** argv) {
  CLI::App app{"weft report: one self-contained HTML page from result records", "weft report"};
  std::vector<std::string> inputs;
  report::options opts;
  app.add_option("RESULTS", inputs, "results folders (from weft job) or record JSON files")
      ->required();
  app.add_option("-o,--output", opts.output, "the HTML file to write")->required();
  app.add_option("--title", opts.title, "page title");
  app.add_option("--chartjs", opts.chartjs, "Chart.js (UMD build) to inline")
      ->capture_default_str();
  app.add_option("--bandwidth", opts.bandwidth_gbs,
                 "memory bandwidth roof in GB/s (default: best nstream result in RESULTS)");
  app.add_option("--peak", opts.peak_gflops, "compute roof in GFlop/s (default: none)");
  try {
    app.parse(argc - 1, argv + 1);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "weft: report: " << e.what() << " (see 'weft report --help')\n";
    return 2;
  }
  try {
    const auto result = report::write_report(inputs, opts);
    std::cout << "weft report: " << result.records << " record" << (result.records == 1 ? "" : "s")
              << ", " << result.charts << " chart" << (result.charts == 1 ? "" : "s") << " -> "
              << opts.output << "\n";
    return 0;
  } catch (const error& e) {
    std::cerr << "weft: report: " << e.what() << "\n";
    return to_int(e.code());
  } catch (const std::exception& e) {
    std::cerr << "weft: report: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace weft::cli
