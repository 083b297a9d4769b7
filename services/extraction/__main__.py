from services.extraction.main import main

main()
