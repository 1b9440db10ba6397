from physlab.cli import main

raise SystemExit(main())
