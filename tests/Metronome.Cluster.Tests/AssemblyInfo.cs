// The cluster tests run several server processes and a PostgreSQL each; one class at a time keeps a 2-core machine
// responsive and the throughput figures free of a neighbour's load.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
