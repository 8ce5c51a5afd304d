from bench import Benchmark, Result, measure, render_markdown


def test_measure_runs_five_times_unless_told_and_takes_the_ratio_to_the_baseline():
    calls = {"run": 0, "base": 0}

    def run(state):
        calls["run"] += 1

    def base(state):
        calls["base"] += 1

    once = measure(Benchmark("one long run", run, repeats=1))  # a run of many minutes (the size-limit import)
    assert calls["run"] == 1 and len(once.runs_s) == 1
    calls["run"] = 0
    result = measure(Benchmark("counting", run, base, "nothing"))
    assert calls == {"run": 5, "base": 5} and len(result.runs_s) == 5
    assert result.baseline_median_s is not None and result.ratio is not None


def test_report_lists_machine_and_results():
    text = render_markdown([Result("x", 0.002, [0.002] * 5, "y", 0.001)], {"cores": "2"}, "2026-11-28")
    assert "- cores: 2" in text and "| x | 2.00 ms | 5 | y | 1.00 ms | 2.00 |" in text
    assert "No benchmarks yet" in render_markdown([], {}, "today")
