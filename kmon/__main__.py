from kmon.cli import main

raise SystemExit(main())
